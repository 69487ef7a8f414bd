package console

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"lawpoint/content"
	"lawpoint/fleet"
)

func (b *browser) upload(path string, fields map[string]string, fileName string, data []byte) page {
	b.f.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if fileName != "" {
		fw, _ := mw.CreateFormFile("file", fileName)
		_, _ = fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.f.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

func testPNG(t *testing.T, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.RGBA{255, 0, 0, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestUploadPicture(t *testing.T) {
	f := newFixture(t, nil)
	f.device("led-baxia", fleet.KindLED, "仙游县/榜头镇/坝下村", "BX-5E2 128x32")
	b := f.browser()
	b.signIn("admin")
	tok := csrfOf(t, b.get("/library/image"))
	data := testPNG(t, 64, 20)
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	p := b.upload("/library/image", map[string]string{"csrf": tok, "alt": "宪法宣传日海报", "tags": "宪法，普法"}, "poster.png", data)
	if p.status != http.StatusSeeOther {
		t.Fatalf("upload: %d\n%s", p.status, p.body)
	}
	set, _, _ := f.lib.Set(t.Context())
	if len(set.Items) != 1 {
		t.Fatalf("stored: %+v", set.Items)
	}
	it := set.Items[0]
	if it.Kind != content.KindImage || it.SHA256 != want || it.Size != int64(len(data)) || it.Image.Format != "png" ||
		it.Image.Width != 64 || it.Image.Height != 20 || it.Image.Alt != "宪法宣传日海报" || len(it.Tags) != 2 {
		t.Fatalf("stored item: %+v %+v", it, it.Image)
	}
	lib := b.get("/library")
	mustContain(t, lib, it.ID, "png 64×20", `src="/library/images/`+want+`"`)
	img := b.get("/library/images/" + want)
	if img.status != http.StatusOK || img.body != string(data) || img.header.Get("Content-Type") != "image/png" {
		t.Fatalf("image bytes: %d %q", img.status, img.header.Get("Content-Type"))
	}
	pg := b.get("/library/images/" + want + "/page")
	mustContain(t, pg, "/led.png?board=")
	led := b.get("/library/images/" + want + "/led.png?board=bx-5e2/128x32/dual&scale=1")
	if led.status != http.StatusOK {
		t.Fatalf("LED preview: %d %s", led.status, led.body)
	}
	if cfg, _, err := image.DecodeConfig(strings.NewReader(led.body)); err != nil || cfg.Width != 128 || cfg.Height != 32 {
		t.Fatalf("LED preview: %+v %v", cfg, err)
	}
	rows := f.audit(fleet.AuditFilter{Action: fleet.AuditContent})
	if len(rows) != 1 || rows[0].Target != it.ID || !strings.Contains(rows[0].Summary, want) {
		t.Fatalf("audit: %+v", rows)
	}
	// Not behind sign-in: no bytes.
	anon := f.browser()
	if p := anon.get("/library/images/" + want); p.status == http.StatusOK {
		t.Fatalf("image served without sign-in")
	}
}

func TestUploadRefusesNonPicture(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	tok := b.signIn("bangtou") // operators may add items
	p := b.upload("/library/image", map[string]string{"csrf": tok, "alt": "假图片"}, "notes.png", []byte("这是一个文本文件，不是图片。\n"))
	if p.status != http.StatusBadRequest {
		t.Fatalf("text as PNG: %d\n%s", p.status, p.body)
	}
	mustContain(t, p, `id="file-error">只能上传 PNG 或 JPEG 图片`, `value="假图片"`)
	if set, _, _ := f.lib.Set(t.Context()); len(set.Items) != 0 {
		t.Fatalf("stored: %+v", set.Items)
	}
	if rows := f.audit(fleet.AuditFilter{Action: fleet.AuditContent}); len(rows) != 0 {
		t.Fatalf("audited a refused upload: %+v", rows)
	}
}

func TestSaveArticle(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	tok := b.signIn("bangtou")
	body := "  第一条  遇到纠纷，先找人民调解。\r\n\r\n第二条 调解不收费。  "
	form := url.Values{"csrf": {tok}, "title": {""}, "body": {body}, "tags": {"人民调解"}}
	p := b.post("/library/article", form)
	if p.status != http.StatusBadRequest {
		t.Fatalf("no title: %d", p.status)
	}
	mustContain(t, p, `id="title-error">请填写文章标题`)
	form.Set("title", "人民调解知多少")
	form.Set("id", "tiaojie-article")
	if p := b.post("/library/article", form); p.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", p.status, p.body)
	}
	set, _, _ := f.lib.Set(t.Context())
	if len(set.Items) != 1 || set.Items[0].Kind != content.KindArticle || set.Items[0].Article.Title != "人民调解知多少" ||
		set.Items[0].Article.Body != strings.ReplaceAll(body, "\r\n", "\n") || set.Items[0].Tags[0] != "人民调解" {
		t.Fatalf("stored: %+v", set.Items)
	}
	mustContain(t, b.get("/library"), "tiaojie-article", "人民调解知多少")
	rows := f.audit(fleet.AuditFilter{Action: fleet.AuditContent})
	if len(rows) != 1 || rows[0].Actor != "bangtou" || rows[0].Target != "tiaojie-article" {
		t.Fatalf("audit: %+v", rows)
	}
}

func TestUploadFormsRefuseWithoutCSRFAndViewers(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	b.signIn("admin")
	p := b.post("/library/article", url.Values{"title": {"标题"}, "body": {"正文"}})
	if p.status != http.StatusForbidden {
		t.Fatalf("article without CSRF: %d", p.status)
	}
	p = b.upload("/library/image", map[string]string{"alt": "图"}, "a.png", testPNG(t, 4, 4))
	if p.status != http.StatusForbidden {
		t.Fatalf("upload without CSRF: %d", p.status)
	}
	if set, _, _ := f.lib.Set(t.Context()); len(set.Items) != 0 {
		t.Fatalf("stored: %+v", set.Items)
	}
	if rows := f.audit(fleet.AuditFilter{Action: fleet.AuditCSRF}); len(rows) != 2 {
		t.Fatalf("CSRF refusals audited: %+v", rows)
	}
	v := f.browser()
	tok := v.signIn("viewer")
	if p := v.post("/library/article", url.Values{"csrf": {tok}, "title": {"标题"}, "body": {"正文"}}); p.status != http.StatusForbidden {
		t.Fatalf("viewer article: %d", p.status)
	}
	if p := v.upload("/library/image", map[string]string{"csrf": tok, "alt": "图"}, "a.png", testPNG(t, 4, 4)); p.status != http.StatusForbidden {
		t.Fatalf("viewer upload: %d", p.status)
	}
	if rows := f.audit(fleet.AuditFilter{Action: fleet.AuditDenied, Actor: "viewer"}); len(rows) != 2 {
		t.Fatalf("viewer refusals audited: %+v", rows)
	}
	if set, _, _ := f.lib.Set(t.Context()); len(set.Items) != 0 {
		t.Fatalf("stored: %+v", set.Items)
	}
}
