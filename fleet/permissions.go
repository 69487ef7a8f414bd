package fleet

// Permission is something a staff role may or may not do, beside the
// region rules of Account (CanSee, CanAct): a permission says what a role
// may do at all; the region rules say where.
type Permission string

// Permissions.
const (
	// PermPhone: see villagers' phone numbers and names unmasked (to call
	// them back about a booking). Everyone else sees 138****5678 and 张**.
	// County administrators have it, and township operators for the
	// bookings of their own township (they are the ones who call villagers
	// back); viewers do not. Every showing is audited; numbers are never
	// logged.
	PermPhone Permission = "phone"
)

// Can reports whether the role has permission p. Unknown roles have none.
func (r StaffRole) Can(p Permission) bool {
	switch r {
	case StaffAdmin:
		return true
	case StaffOperator:
		return p == PermPhone
	}
	return false
}
