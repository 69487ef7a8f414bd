package console

import "testing"

// A sign-in's next= target never leaves the site, however it is spelled.
func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"":                          "/",
		"/library":                  "/library",
		"/schedules?done=drafted":   "/schedules?done=drafted",
		"/reports?region=仙游县%2F榜头镇": "/reports?region=仙游县%2F榜头镇",
		"//evil.example":            "/",
		"/\t/evil.example":          "/", // browsers drop the tab: //evil.example
		"/\n/evil.example":          "/",
		"/\r\n/evil.example":        "/",
		"/\\evil.example":           "/",
		"/\\/evil.example":          "/",
		"/ /evil.example":           "/",
		"/\u00a0/evil.example":      "/",
		"/\u2028/evil.example":      "/",
		"https://evil.example/":     "/",
		"evil.example":              "/",
		"/%2F/evil.example":         "/", // decodes to //evil.example: refused to be safe
		"/\x00":                     "/",
		"/\x7f":                     "/",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}
