package fleet

// Permission is something a staff role may or may not do. Roles beyond
// admin (issue 6: township staff, counter staff) decide per permission.
type Permission string

// Permissions.
const (
	// PermPhone: see villagers' phone numbers and names unmasked (to call
	// them back about a booking). Everyone else sees 138****5678 and 张**.
	PermPhone Permission = "phone"
)

// Can reports whether the role has permission p. Unknown roles have none.
func (r StaffRole) Can(p Permission) bool {
	switch r {
	case StaffAdmin:
		return true
	}
	return false
}
