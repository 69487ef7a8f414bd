package content

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// InRegion reports whether the region path dev lies in region, at '/'
// boundaries: "仙游县/榜头镇/坝下村" is in "仙游县/榜头镇" and in itself, but
// "仙游县/榜头镇二" is not in "仙游县/榜头镇".
func InRegion(dev, region string) bool {
	if len(dev) < len(region) || dev[:len(region)] != region {
		return false
	}
	return len(dev) == len(region) || dev[len(region)] == '/'
}

// Matches reports whether the target selects d (see Target for the rules).
func (t *Target) Matches(d Device) bool {
	if slices.Contains(t.ExcludeDevices, d.ID) {
		return false
	}
	for _, r := range t.ExcludeRegions {
		if InRegion(d.Region, r) {
			return false
		}
	}
	if anyShared(t.ExcludeTags, d.Tags) {
		return false
	}
	if slices.Contains(t.Devices, d.ID) {
		return true
	}
	if len(t.Regions) == 0 && len(t.Tags) == 0 && len(t.Kinds) == 0 {
		return false
	}
	if len(t.Regions) > 0 {
		in := false
		for _, r := range t.Regions {
			if InRegion(d.Region, r) {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	if len(t.Tags) > 0 && !anyShared(t.Tags, d.Tags) {
		return false
	}
	if len(t.Kinds) > 0 && !slices.Contains(t.Kinds, d.Kind) {
		return false
	}
	return true
}

func anyShared(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// regionProblem returns why p is not a well-formed region path, or "".
func regionProblem(p string) string {
	if p == "" {
		return "is empty"
	}
	if !utf8.ValidString(p) {
		return "is not valid UTF-8"
	}
	if len(p) > 512 {
		return "is longer than 512 bytes"
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" {
			return "has an empty level (a leading, trailing or doubled '/')"
		}
		if strings.TrimSpace(seg) != seg {
			return "has spaces around a level name"
		}
		for _, r := range seg {
			if unicode.IsControl(r) {
				return "contains a control character"
			}
		}
	}
	return ""
}

// idProblem returns why s is not a usable ID, or "". IDs appear in download
// paths, so they are 1-64 of [A-Za-z0-9._-], starting with a letter or digit.
func idProblem(s string) string {
	if s == "" {
		return "is empty"
	}
	if len(s) > 64 {
		return "is longer than 64 characters"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || (i > 0 && (c == '.' || c == '_' || c == '-'))
		if !ok {
			return "may hold only letters, digits, '.', '_' and '-', and must start with a letter or digit"
		}
	}
	return ""
}

// tagProblem returns why s is not a usable tag, or "".
func tagProblem(s string) string {
	switch {
	case strings.TrimSpace(s) == "":
		return "is empty"
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case utf8.RuneCountInString(s) > 32:
		return "is longer than 32 characters"
	case strings.TrimSpace(s) != s:
		return "has spaces around it"
	}
	return ""
}
