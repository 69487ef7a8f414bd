package fleet

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Roles of the staff console beside StaffAdmin (county administrator).
const (
	// StaffOperator is a township operator: sees and acts on the devices,
	// content and reports of one township (Account.Township) only; the
	// schedules they write are drafts a county administrator approves.
	StaffOperator StaffRole = "operator"
	// StaffViewer reads everything the county shows and changes nothing.
	StaffViewer StaffRole = "viewer"
)

// StaffRoles lists every staff role, most powerful first.
var StaffRoles = []StaffRole{StaffAdmin, StaffOperator, StaffViewer}

// Valid reports whether r is a known role.
func (r StaffRole) Valid() bool {
	return r == StaffAdmin || r == StaffOperator || r == StaffViewer
}

// Label is the role's name as staff read it.
func (r StaffRole) Label() string {
	switch r {
	case StaffAdmin:
		return "县级管理员"
	case StaffOperator:
		return "乡镇操作员"
	case StaffViewer:
		return "只读查看"
	}
	return string(r)
}

// Account is a staff account as the console sees it: the role and, for a
// township operator, the township region it is confined to.
type Account struct {
	Username string
	Hash     string // HashStaffPassword output
	Role     StaffRole
	// Township is a region path (仙游县/榜头镇) for operators; empty for
	// administrators and viewers, who see the whole county.
	Township string
	Created  time.Time
}

// Scope is the region an account may see: "" for the whole fleet.
func (a Account) Scope() string {
	if a.Role == StaffOperator {
		return a.Township
	}
	return ""
}

// CanSee reports whether the account may see things in region (a device's
// region, a report's region). An operator without a township sees nothing.
func (a Account) CanSee(region string) bool {
	switch a.Role {
	case StaffAdmin, StaffViewer:
		return true
	case StaffOperator:
		return a.Township != "" && RegionWithin(region, a.Township)
	}
	return false
}

// CanAct reports whether the account may change things or send commands in
// region: administrators everywhere, operators in their township, viewers
// nowhere.
func (a Account) CanAct(region string) bool {
	switch a.Role {
	case StaffAdmin:
		return true
	case StaffOperator:
		return a.CanSee(region)
	}
	return false
}

// SeesAny reports whether the account may see something that concerns
// regions (a schedule's target regions, a notice's or an adviser's regions):
// administrators and viewers always; an operator when one of the regions
// lies in their township or covers it, or when there is none (the whole
// county). The console lists schedules, notices and advisers this way.
func (a Account) SeesAny(regions []string) bool {
	switch a.Role {
	case StaffAdmin, StaffViewer:
		return true
	case StaffOperator:
		if a.Township == "" {
			return false
		}
		if len(regions) == 0 {
			return true
		}
		return slices.ContainsFunc(regions, func(r string) bool { return a.CanSee(r) || RegionWithin(a.Township, r) })
	}
	return false
}

// CanActAll reports whether the account may change something that concerns
// every one of regions: administrators always; an operator only when there
// is at least one region and each lies in their township (something for
// the whole county or another township is the county's); viewers never.
func (a Account) CanActAll(regions []string) bool {
	if a.Admin() {
		return true
	}
	return a.Role == StaffOperator && len(regions) > 0 && !slices.ContainsFunc(regions, func(r string) bool { return !a.CanAct(r) })
}

// NeedsApproval reports whether the account's schedule changes are drafts
// that a county administrator approves before they are published.
func (a Account) NeedsApproval() bool { return a.Role != StaffAdmin }

// Admin reports whether the account is a county administrator.
func (a Account) Admin() bool { return a.Role == StaffAdmin }

// NormalizeAccount checks a new account's role and township: an operator
// needs a township of at least two levels (county/township); others have
// none.
func NormalizeAccount(a *Account) error {
	a.Username = strings.TrimSpace(a.Username)
	if a.Username == "" || len([]rune(a.Username)) > 64 || !printable(a.Username) || strings.ContainsAny(a.Username, " \t") {
		return invalidField("username", "the username must be 1 to 64 printable characters without spaces", "用户名须为1到64个字符，不能含空格")
	}
	if !a.Role.Valid() {
		return invalidField("role", fmt.Sprintf("role %q is unknown: use admin, operator or viewer", a.Role), "请选择角色：县级管理员、乡镇操作员或只读查看")
	}
	if a.Role != StaffOperator {
		a.Township = ""
		return nil
	}
	if strings.TrimSpace(a.Township) == "" {
		return invalidField("township", "an operator needs a township, like 仙游县/榜头镇", "乡镇操作员须指定所属乡镇，例如：仙游县/榜头镇")
	}
	t, err := NormalizeRegion(strings.TrimSuffix(strings.TrimSpace(a.Township), "/"))
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return &FieldError{Field: "township", Err: e}
		}
		return err
	}
	if strings.Count(t, "/") < 1 {
		return invalidField("township", "an operator's township is a path of at least two levels, like 仙游县/榜头镇",
			"乡镇操作员须指定所属乡镇，例如：仙游县/榜头镇")
	}
	a.Township = t
	return nil
}
