package queue

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"lawpoint/device/wire"
)

// ErrInvalidCategories is wrapped by the error of a category list that
// cannot be used; the list in use stays unchanged.
var ErrInvalidCategories = errors.New("invalid service categories")

// Category is a service a villager can take a ticket for. The fleet sends
// the list (Queue.SetCategories); until it has, DefaultCategories apply.
type Category struct {
	// Prefix is the letter printed before the number: "A" gives A001.
	Prefix string `json:"prefix"`
	// Name is what villagers and staff read, in Chinese: "法律咨询".
	Name string `json:"name"`
	// Service is the protocol's service code (wire.ServiceConsultation …),
	// sent to the fleet with every event.
	Service string `json:"service"`
}

// MaxCategoryName is the longest category name, in characters, that fits
// the kiosk's buttons and the receipt.
const MaxCategoryName = 12

// DefaultCategories is the list in use before the fleet has sent one.
func DefaultCategories() []Category {
	return []Category{
		{Prefix: "A", Name: "法律咨询", Service: wire.ServiceConsultation},
		{Prefix: "B", Name: "法律援助", Service: wire.ServiceLegalAid},
		{Prefix: "C", Name: "人民调解", Service: wire.ServiceMediation},
		{Prefix: "D", Name: "公证咨询", Service: wire.ServiceNotary},
	}
}

var serviceCodes = []string{wire.ServiceConsultation, wire.ServiceLegalAid, wire.ServiceMediation,
	wire.ServiceNotary, wire.ServiceAppraisal, wire.ServiceResettlement, wire.ServiceEducation, wire.ServiceOther}

// ValidateCategories checks a category list: at least one category, each
// with a unique one-letter prefix A–Z, a name of 1 to MaxCategoryName
// characters containing Chinese, and a known service code. The error lists
// every problem and wraps ErrInvalidCategories.
func ValidateCategories(cs []Category) error {
	var probs []string
	if len(cs) == 0 {
		probs = append(probs, "the list is empty; send at least one category")
	}
	seen := map[string]int{}
	for i, c := range cs {
		at := fmt.Sprintf("category %d", i+1)
		if len(c.Prefix) != 1 || c.Prefix[0] < 'A' || c.Prefix[0] > 'Z' {
			probs = append(probs, fmt.Sprintf("%s: prefix %q is not one capital letter A-Z", at, trunc(c.Prefix, 8)))
		} else if j, dup := seen[c.Prefix]; dup {
			probs = append(probs, fmt.Sprintf("%s: prefix %s is also used by category %d; give each its own letter", at, c.Prefix, j+1))
		} else {
			seen[c.Prefix] = i
		}
		name := strings.TrimSpace(c.Name)
		switch n := utf8.RuneCountInString(name); {
		case n == 0:
			probs = append(probs, fmt.Sprintf("%s: name is empty; give the Chinese name villagers read", at))
		case n > MaxCategoryName || !utf8.ValidString(name):
			probs = append(probs, fmt.Sprintf("%s: name %q is not valid text of at most %d characters", at, trunc(name, 40), MaxCategoryName))
		case !hasHan(name):
			probs = append(probs, fmt.Sprintf("%s: name %q has no Chinese characters; villagers read Chinese", at, trunc(name, 40)))
		case name != c.Name:
			probs = append(probs, fmt.Sprintf("%s: name %q has leading or trailing spaces", at, trunc(c.Name, 40)))
		}
		if !slices.Contains(serviceCodes, c.Service) {
			probs = append(probs, fmt.Sprintf("%s: service %q is not a service code (%s)", at, trunc(c.Service, 20), strings.Join(serviceCodes, ", ")))
		}
	}
	if len(probs) > 0 {
		return fmt.Errorf("queue: %w: %s", ErrInvalidCategories, strings.Join(probs, "; "))
	}
	return nil
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
