package api

// Access returns every route's access decision by pattern, for the table
// test that makes sure no route is added without one.
func (s *Server) Access() map[string]string {
	out := make(map[string]string, len(s.access))
	for p, a := range s.access {
		out[p] = string(a)
	}
	return out
}
