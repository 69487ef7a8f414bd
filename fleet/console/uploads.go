package console

// Uploads for the content library (issue 6): pictures (PNG or JPEG) and
// articles, each a form validated on the server with the error beside the
// field, stored through fleet.Library and audited like an LED text save.

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // decode uploaded JPEG pictures
	_ "image/png"  // decode uploaded PNG pictures
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"lawpoint/content"
	"lawpoint/display"
	"lawpoint/display/bx"
	"lawpoint/display/render"
	"lawpoint/fleet"
)

func init() {
	pageNames = append(pageNames, "image_form", "article_form", "image")
}

const (
	// uploadPath is the picture upload form's action; signedIn lets its
	// multipart body be as large as maxUploadBody.
	uploadPath = "/library/image"
	// maxUploadBody bounds the whole multipart body: the API's file cap
	// plus room for the other fields.
	maxUploadBody = fleet.MaxUpload + 1<<20
	maxAltRunes   = 200
	maxTitleRunes = 100
	maxBodyRunes  = 20000
)

func (c *Console) uploadRoutes() {
	m := c.mux
	m.HandleFunc("GET "+uploadPath, c.signedIn(c.imageFormPage))
	m.HandleFunc("POST "+uploadPath, c.uploadCap(c.signedIn(c.saveImage)))
	m.HandleFunc("GET /library/article", c.signedIn(c.articleFormPage))
	m.HandleFunc("POST /library/article", c.signedIn(c.saveArticle))
	m.HandleFunc("GET /library/images/{sha}", c.signedIn(c.imageBytes))
	m.HandleFunc("GET /library/images/{sha}/page", c.signedIn(c.imagePage))
	m.HandleFunc("GET /library/images/{sha}/led.png", c.signedIn(c.imageLEDPNG))
}

// uploadCap refuses a declared body over the cap before anything is read.
func (c *Console) uploadCap(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxUploadBody {
			c.errorPage(w, r, nil, http.StatusRequestEntityTooLarge, "文件过大",
				fmt.Sprintf("上传的文件超过 %d MB 的上限，请压缩后重新上传。", fleet.MaxUpload>>20))
			return
		}
		h(w, r)
	}
}

// mayWrite refuses (403, audited) accounts that cannot write items.
func (c *Console) mayWrite(w http.ResponseWriter, r *http.Request, rc *reqCtx, target string) bool {
	if rc.acct.CanAct(rc.acct.Scope()) {
		return true
	}
	c.deny(w, r, rc, target, rc.acct.Scope(), "只读账号不能上传或保存内容。")
	return false
}

type uploadForm struct {
	ID, Title, Body, Alt, Tags string
}

type uploadData struct {
	Form   uploadForm
	Errors map[string]string
	Max    int64 // MB
}

func (c *Console) imageFormPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if !c.mayWrite(w, r, rc, uploadPath) {
		return
	}
	c.page(w, r, rc, http.StatusOK, "image_form", "上传图片", "library", uploadData{Errors: map[string]string{}, Max: fleet.MaxUpload >> 20})
}

func (c *Console) articleFormPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if !c.mayWrite(w, r, rc, "/library/article") {
		return
	}
	c.page(w, r, rc, http.StatusOK, "article_form", "写文章", "library", uploadData{Errors: map[string]string{}})
}

// checkID validates an optional item ID (empty: one is made) and refuses
// IDs already in the library: these forms only add items.
func (c *Console) checkID(r *http.Request, id string, errs map[string]string) {
	if id == "" {
		return
	}
	set, _, err := c.cfg.Library.Set(r.Context())
	if err != nil {
		errs[""] = fleet.StaffMessage(err)
		return
	}
	if slices.ContainsFunc(set.Items, func(it content.Item) bool { return it.ID == id }) {
		errs["id"] = "该编号已有素材，请换一个编号（或留空自动生成）"
	}
}

func checkTags(tags []string, errs map[string]string) {
	it := content.NewText("tagcheck", 1, content.Text{Body: "x"})
	it.Tags = tags
	if err := (&content.Set{Items: []content.Item{it}}).Validate(); err != nil {
		m := map[string]string{}
		problemsToFields(err, m)
		if m["tags"] != "" {
			errs["tags"] = m["tags"]
		}
	}
}

func newID(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func (c *Console) saveImage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if !c.mayWrite(w, r, rc, uploadPath) {
		return
	}
	f := uploadForm{ID: trimmed(r, "id"), Alt: trimmed(r, "alt"), Tags: trimmed(r, "tags")}
	errs := map[string]string{}
	d := uploadData{Form: f, Errors: errs, Max: fleet.MaxUpload >> 20}
	if n := utf8.RuneCountInString(f.Alt); n == 0 {
		errs["alt"] = "请填写图片标题或说明文字（看不到图片时显示、朗读）"
	} else if n > maxAltRunes {
		errs["alt"] = fmt.Sprintf("说明文字共 %d 字，不能超过 %d 字", n, maxAltRunes)
	}
	tags := splitTags(f.Tags)
	checkTags(tags, errs)
	c.checkID(r, f.ID, errs)

	var data []byte
	var format string
	var cfg image.Config
	file, hdr, err := r.FormFile("file")
	switch {
	case err != nil:
		errs["file"] = "请选择要上传的图片（PNG 或 JPEG）"
	case hdr.Size > fleet.MaxUpload:
		file.Close()
		errs["file"] = fmt.Sprintf("图片超过 %d MB 的上限，请压缩后重新上传", fleet.MaxUpload>>20)
	default:
		data, err = io.ReadAll(io.LimitReader(file, fleet.MaxUpload+1))
		file.Close()
		switch sniff := http.DetectContentType(data); {
		case err != nil:
			errs["file"] = "读取上传的文件失败，请重新上传"
		case len(data) == 0:
			errs["file"] = "上传的文件是空的，请重新选择图片"
		case sniff != "image/png" && sniff != "image/jpeg":
			errs["file"] = "只能上传 PNG 或 JPEG 图片；该文件不是图片（仅改扩展名无效）"
		default:
			cfg, format, err = image.DecodeConfig(bytes.NewReader(data))
			if err != nil || (format != "png" && format != "jpeg") || "image/"+format != sniff {
				errs["file"] = "图片文件已损坏或格式不对，无法读取，请重新导出为 PNG 或 JPEG 后上传"
			} else if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > 8192 || cfg.Height > 8192 {
				errs["file"] = fmt.Sprintf("图片为 %d×%d 像素，须在 1×1 到 8192×8192 之间", cfg.Width, cfg.Height)
			}
		}
	}
	if len(errs) > 0 {
		c.page(w, r, rc, http.StatusBadRequest, "image_form", "上传图片", "library", d)
		return
	}
	sum, _, err := c.cfg.Library.Blobs().Put(bytes.NewReader(data), fleet.MaxUpload, "")
	if err != nil {
		if problemsToFields(err, errs) {
			errs["file"], errs[""] = errs[""], ""
			c.page(w, r, rc, http.StatusBadRequest, "image_form", "上传图片", "library", d)
			return
		}
		c.internal(w, r, rc, err)
		return
	}
	id := f.ID
	if id == "" {
		id = "img-" + sum[:12]
	}
	it := content.NewImage(id, 1, format, cfg.Width, cfg.Height, data)
	it.Image.Alt = f.Alt
	it.Tags = tags
	stored, err := c.cfg.Library.PutItem(r.Context(), rc.acct.Username, it)
	if err != nil {
		if problemsToFields(err, errs) {
			moveImageErrors(errs)
			c.page(w, r, rc, http.StatusBadRequest, "image_form", "上传图片", "library", d)
			return
		}
		c.internal(w, r, rc, err)
		return
	}
	c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditContent, Target: stored.ID, Region: rc.acct.Scope(),
		Summary: fmt.Sprintf("上传图片 %s（第%d版，%s %d×%d，%d 字节，SHA-256 %s）", stored.ID, stored.Version, format, cfg.Width, cfg.Height, stored.Size, stored.SHA256),
		After:   f.Alt})
	http.Redirect(w, r, "/library?done=saved", http.StatusSeeOther)
}

// moveImageErrors puts errors about the picture itself beside the file.
func moveImageErrors(errs map[string]string) {
	if v := errs[""]; v != "" {
		errs["file"], errs[""] = v, ""
	}
}

func (c *Console) saveArticle(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if !c.mayWrite(w, r, rc, "/library/article") {
		return
	}
	// The body is kept as typed: only the browser's CRLF line ends become LF.
	f := uploadForm{ID: trimmed(r, "id"), Title: trimmed(r, "title"),
		Body: strings.ReplaceAll(r.PostFormValue("body"), "\r\n", "\n"), Tags: trimmed(r, "tags")}
	errs := map[string]string{}
	d := uploadData{Form: f, Errors: errs}
	switch n := utf8.RuneCountInString(f.Title); {
	case n == 0:
		errs["title"] = "请填写文章标题"
	case n > maxTitleRunes:
		errs["title"] = fmt.Sprintf("标题共 %d 字，不能超过 %d 字", n, maxTitleRunes)
	}
	switch n := utf8.RuneCountInString(f.Body); {
	case strings.TrimSpace(f.Body) == "":
		errs["body"] = "请填写文章正文"
	case !utf8.ValidString(f.Body):
		errs["body"] = "正文编码有误，请重新输入"
	case n > maxBodyRunes:
		errs["body"] = fmt.Sprintf("正文共 %d 字，不能超过 %d 字，请删减或分成几篇", n, maxBodyRunes)
	}
	tags := splitTags(f.Tags)
	checkTags(tags, errs)
	c.checkID(r, f.ID, errs)
	id := f.ID
	if id == "" {
		id = newID("article-")
	}
	it := content.NewArticle(id, 1, f.Title, f.Body)
	it.Tags = tags
	if len(errs) == 0 {
		if err := (&content.Set{Items: []content.Item{it}}).Validate(); err != nil {
			articleErrors(err, errs)
		}
	}
	if len(errs) > 0 {
		c.page(w, r, rc, http.StatusBadRequest, "article_form", "写文章", "library", d)
		return
	}
	stored, err := c.cfg.Library.PutItem(r.Context(), rc.acct.Username, it)
	if err != nil {
		if articleErrors(err, errs) {
			c.page(w, r, rc, http.StatusBadRequest, "article_form", "写文章", "library", d)
			return
		}
		c.internal(w, r, rc, err)
		return
	}
	c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditContent, Target: stored.ID, Region: rc.acct.Scope(),
		Summary: fmt.Sprintf("保存文章 %s（第%d版）：%s", stored.ID, stored.Version, f.Title), After: f.Title + "\n\n" + f.Body})
	http.Redirect(w, r, "/library?done=saved", http.StatusSeeOther)
}

// articleErrors maps content problems to the article form's fields.
func articleErrors(err error, errs map[string]string) bool {
	m := map[string]string{}
	if !problemsToFields(err, m) {
		return false
	}
	var ps content.Problems
	if errors.As(err, &ps) && len(ps) > 0 {
		for _, p := range ps {
			field := ""
			switch {
			case strings.HasSuffix(p.Field, "article.title"):
				field = "title"
			case strings.HasSuffix(p.Field, "article.body"):
				field = "body"
			case strings.Contains(p.Field, "tags"):
				field = "tags"
			case strings.HasSuffix(p.Field, "id"):
				field = "id"
			}
			if errs[field] == "" {
				errs[field] = p.Message
			}
		}
		return true
	}
	for k, v := range m {
		if errs[k] == "" {
			errs[k] = v
		}
	}
	return true
}

// imageItem finds the library's picture with this SHA-256.
func (c *Console) imageItem(w http.ResponseWriter, r *http.Request, rc *reqCtx) (content.Item, bool) {
	sum := r.PathValue("sha")
	set, _, err := c.cfg.Library.Set(r.Context())
	if err != nil {
		c.internal(w, r, rc, err)
		return content.Item{}, false
	}
	i := slices.IndexFunc(set.Items, func(it content.Item) bool {
		return it.Kind == content.KindImage && it.Image != nil && it.SHA256 == sum
	})
	if !fleet.ValidSHA256(sum) || i < 0 {
		c.errorPage(w, r, rc, http.StatusNotFound, "图片不存在", "内容库里没有这张图片。")
		return content.Item{}, false
	}
	return set.Items[i], true
}

// imageBytes serves a stored picture (signed-in staff only).
func (c *Console) imageBytes(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	it, ok := c.imageItem(w, r, rc)
	if !ok {
		return
	}
	f, err := c.cfg.Library.Blobs().Open(it.SHA256)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "image/"+it.Image.Format)
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Header().Set("ETag", `"`+it.SHA256+`"`)
	http.ServeContent(w, r, "", time.Time{}, f)
}

type imagePreview struct {
	Label, Board, Error, URL string
	Count                    int
	Width, Height            int
}

type imageData struct {
	Item     content.Item
	Previews []imagePreview
}

// imagePage shows a picture and how each LED board model and size among
// the account's boards would show it.
func (c *Console) imagePage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	it, ok := c.imageItem(w, r, rc)
	if !ok {
		return
	}
	devs, err := c.cfg.Registry.Devices(r.Context(), fleet.Filter{Region: rc.acct.Scope(), Kind: fleet.KindLED})
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	d := imageData{Item: it}
	for _, v := range variantsOf(devs) {
		p := imagePreview{Label: v.Spec.Label(), Board: v.Spec.Key(), Count: v.Count}
		if v.Spec.Model.Family != bx.Picture {
			p.Error = v.Spec.Model.Label + " 是字库卡，不能显示图片；请改用 BX-5E/6E 图片控制卡。"
		} else {
			s := scaleFor(v.Spec.W)
			p.Width, p.Height = v.Spec.W*s, v.Spec.H*s
			p.URL = "/library/images/" + it.SHA256 + "/led.png?board=" + v.Spec.Key() + "&scale=" + strconv.Itoa(s)
		}
		d.Previews = append(d.Previews, p)
	}
	c.page(w, r, rc, http.StatusOK, "image", "图片 "+it.ID, "library", d)
}

// imageLEDPNG draws the picture as a board shows it: display's own
// picture command (scaled, mapped to the board's colours), exact dots.
func (c *Console) imageLEDPNG(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	it, ok := c.imageItem(w, r, rc)
	if !ok {
		return
	}
	spec, err := parseSpec(r.FormValue("board"))
	if err != nil {
		c.errorPage(w, r, rc, http.StatusBadRequest, "无法预览", "预览参数有误。")
		return
	}
	scale, _ := strconv.Atoi(r.FormValue("scale"))
	if scale < 1 || scale > 8 {
		scale = scaleFor(spec.W)
	}
	f, err := c.cfg.Library.Blobs().Open(it.SHA256)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	img, _, err := image.Decode(f)
	f.Close()
	if err != nil {
		c.errorPage(w, r, rc, http.StatusUnprocessableEntity, "无法预览", "图片无法解码。")
		return
	}
	b, err := display.NewBoard(display.Config{Model: spec.Model, Width: spec.W, Height: spec.H, Colors: spec.Colors, Fonts: c.cfg.Fonts, Name: spec.Model.Label})
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	cmd, err := b.PictureCommand(display.Area{}, img, render.PictureOptions{Dither: render.FloydSteinberg})
	if err != nil {
		c.errorPage(w, r, rc, http.StatusUnprocessableEntity, "无法预览", "该屏不能显示图片（字库卡）。")
		return
	}
	pu, ok := cmd.(bx.PictureUpdate)
	if !ok || len(pu.Area.Pages) == 0 {
		c.internal(w, r, rc, fmt.Errorf("console: unexpected LED command %T", cmd))
		return
	}
	var buf bytes.Buffer
	if err := render.PNG(&buf, pu.Area.Pages[0].Bitmap, render.PNGOptions{Scale: scale, Round: scale >= 3}); err != nil {
		c.internal(w, r, rc, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=300")
	_, _ = w.Write(buf.Bytes())
}
