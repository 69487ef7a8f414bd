package fleet

// FullBuilds turns d's manifest templates off, so a test can compare
// both ways of building.
func FullBuilds(d *Distributor) { d.fullBuilds = true }

// TemplatedBuilds is how many desired states d made from a manifest
// template.
func TemplatedBuilds(d *Distributor) int64 { return d.templated.Load() }
