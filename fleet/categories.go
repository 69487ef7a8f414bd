package fleet

import (
	"context"
	"fmt"
	"unicode/utf8"

	"lawpoint/device/wire"
)

// DefaultCategories are the kiosk's queue categories until staff set a
// list (the same as the kiosk's own defaults).
func DefaultCategories() []wire.KioskCategory {
	return []wire.KioskCategory{
		{Prefix: "A", Name: "法律咨询", Service: wire.ServiceConsultation},
		{Prefix: "B", Name: "法律援助", Service: wire.ServiceLegalAid},
		{Prefix: "C", Name: "人民调解", Service: wire.ServiceMediation},
		{Prefix: "D", Name: "公证咨询", Service: wire.ServiceNotary},
	}
}

// MaxCategoryName is the longest category name the kiosk's buttons and
// receipts fit (kiosk/queue.MaxCategoryName).
const MaxCategoryName = 12

// ValidateCategories checks a category list: 1 to 26 categories, each with
// a unique prefix A–Z, a name of 1 to 12 characters and a service code.
func ValidateCategories(cs []wire.KioskCategory) error {
	if len(cs) == 0 || len(cs) > 26 {
		return invalidField("categories", "give 1 to 26 categories", "请设置1到26个取号类别")
	}
	seen := map[string]bool{}
	for i, c := range cs {
		f := fmt.Sprintf("categories[%d].", i)
		switch {
		case len(c.Prefix) != 1 || c.Prefix[0] < 'A' || c.Prefix[0] > 'Z':
			return invalidField(f+"prefix", "must be one capital letter A-Z", "号码前缀须为一个大写字母 A-Z")
		case seen[c.Prefix]:
			return invalidField(f+"prefix", c.Prefix+" is used twice", "号码前缀 "+c.Prefix+" 重复")
		case c.Name == "" || utf8.RuneCountInString(c.Name) > MaxCategoryName || !printable(c.Name):
			return invalidField(f+"name", "give a name of 1 to 12 characters", "类别名称须为1到12个字")
		case !ValidService(c.Service):
			return invalidField(f+"service", fmt.Sprintf("%q is not a service code", c.Service), "服务类型无效")
		}
		seen[c.Prefix] = true
	}
	return nil
}

// Categories returns the kiosks' queue categories and their revision
// (0: the defaults, never set).
func (b *Bookings) Categories(ctx context.Context) ([]wire.KioskCategory, int64, error) {
	cs, rev, err := b.store.Categories(ctx)
	if err == nil && len(cs) == 0 {
		cs = DefaultCategories()
	}
	return cs, rev, err
}

// SetCategories replaces the list in one transaction.
func (b *Bookings) SetCategories(ctx context.Context, cs []wire.KioskCategory) (int64, error) {
	if err := ValidateCategories(cs); err != nil {
		return 0, err
	}
	return b.store.PutCategories(ctx, cs)
}
