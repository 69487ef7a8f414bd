package console

// Uploads for the content library (issue 6): pictures (PNG or JPEG) and
// articles, each a form validated on the server with the error beside the
// field, stored through fleet.Library and audited like an LED text save.
// The same forms change a stored picture or article (?id=): every save is
// a new version through the Library, under the rule of LED texts (viewers
// change nothing, township operators only items whose first version they
// wrote).

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
	// ValidFrom and ValidUntil are datetime-local values, Beijing time;
	// empty is unbounded.
	ValidFrom, ValidUntil string
}

type uploadData struct {
	Form    uploadForm
	Errors  map[string]string
	Max     int64 // MB
	Editing bool
	// Item is the stored version being changed (Editing).
	Item content.Item
	kind content.ItemKind // the form's: content.KindImage or KindArticle
}

// title is the page title of the picture or article form.
func (d uploadData) title() string {
	switch {
	case d.kind == content.KindImage && d.Editing:
		return "修改图片 " + d.Form.ID
	case d.kind == content.KindImage:
		return "上传图片"
	case d.Editing:
		return "修改文章 " + d.Form.ID
	}
	return "写文章"
}

// uploadFormOf is the picture or article form of a stored version.
func uploadFormOf(it content.Item) uploadForm {
	f := uploadForm{ID: it.ID, Tags: strings.Join(it.Tags, "，")}
	if it.Image != nil {
		f.Alt = it.Image.Alt
	}
	if it.Article != nil {
		f.Title, f.Body = it.Article.Title, it.Article.Body
	}
	f.ValidFrom, f.ValidUntil = validityForm(it)
	return f
}

// uploadPaths are the form's address (its action) and page template.
func uploadPaths(kind content.ItemKind) (path, page string) {
	if kind == content.KindImage {
		return uploadPath, "image_form"
	}
	return "/library/article", "article_form"
}

// startUpload begins the picture or article form (kind) for an account that
// may write items (403, audited, otherwise). The form changes the stored
// item ?id= when it is shown with one, or when it is posted with
// editing=1: that item must be one the account may change
// (editableItem). ok is false when it has answered.
func (c *Console) startUpload(w http.ResponseWriter, r *http.Request, rc *reqCtx, kind content.ItemKind) (d uploadData, ok bool) {
	path, _ := uploadPaths(kind)
	if !c.mayWrite(w, r, rc, path) {
		return d, false
	}
	d = uploadData{Errors: map[string]string{}, kind: kind}
	if kind == content.KindImage {
		d.Max = fleet.MaxUpload >> 20
	}
	id := trimmed(r, "id")
	if r.Method == http.MethodPost {
		d.Editing = r.PostFormValue("editing") == "1"
	} else {
		d.Editing = id != ""
	}
	if d.Editing {
		if d.Item, ok = c.editableItem(w, r, rc, id, kind); !ok {
			return d, false
		}
		d.Form = uploadFormOf(d.Item)
	}
	return d, true
}

// readUploadForm reads the picture or article form as posted. An
// article's body is kept as typed: only the browser's CRLF line ends
// become LF.
func readUploadForm(r *http.Request) uploadForm {
	return uploadForm{ID: trimmed(r, "id"), Title: trimmed(r, "title"), Body: strings.ReplaceAll(r.PostFormValue("body"), "\r\n", "\n"),
		Alt: trimmed(r, "alt"), Tags: trimmed(r, "tags"), ValidFrom: trimmed(r, "valid_from"), ValidUntil: trimmed(r, "valid_until")}
}

// checkItemFields checks the fields the picture and article forms share
// (templates/layout.html's item-fields, and a new item's ID); d.Errors gets
// a Chinese message beside each bad one.
func (c *Console) checkItemFields(r *http.Request, d uploadData) (tags []string, from, until time.Time) {
	tags = splitTags(d.Form.Tags)
	checkTags(tags, d.Errors)
	from, until = parseValidity(d.Form, d.Errors)
	if !d.Editing {
		c.checkID(r, d.Form.ID, d.Errors)
	}
	return tags, from, until
}

// showUpload shows the picture or article form.
func (c *Console) showUpload(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, d uploadData) {
	_, page := uploadPaths(d.kind)
	c.page(w, r, rc, status, page, d.title(), "library", d)
}

// putUpload stores it, the picture or article of the form d, as a new
// version and audits it: a new item with summary and after, a change (when
// it made a new version) with what changed. A refused item's problems go
// beside the form's fields (fields) and the form shows again. It answers
// in every case.
func (c *Console) putUpload(w http.ResponseWriter, r *http.Request, rc *reqCtx, d uploadData, it content.Item,
	fields func(error, map[string]string) bool, summary func(stored content.Item) string, after string) {
	stored, err := c.cfg.Library.PutItem(r.Context(), rc.acct.Username, it)
	if err != nil {
		if fields(err, d.Errors) {
			c.showUpload(w, r, rc, http.StatusBadRequest, d)
			return
		}
		c.internal(w, r, rc, err)
		return
	}
	switch {
	case !d.Editing:
		c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditContent, Target: stored.ID, Region: rc.acct.Scope(),
			Summary: summary(stored), After: after})
	case stored.Version != d.Item.Version:
		c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditContent, Target: stored.ID, Region: rc.acct.Scope(),
			Summary: fmt.Sprintf("修改%s %s（第%d版）：%s", itemKindName(stored.Kind), stored.ID, stored.Version, itemChanges(d.Item, stored)),
			Before:  itemAuditText(d.Item), After: itemAuditText(stored)})
	}
	http.Redirect(w, r, "/library?done=saved", http.StatusSeeOther)
}

// validityForm is an item's validity as the forms show it.
func validityForm(it content.Item) (from, until string) {
	if !it.ValidFrom.IsZero() {
		from = it.ValidFrom.In(shanghai).Format(datetimeLocal)
	}
	if !it.ValidUntil.IsZero() {
		until = it.ValidUntil.In(shanghai).Format(datetimeLocal)
	}
	return from, until
}

// parseValidity reads the validity fields (Beijing time, either may be
// empty); errs gets a Chinese message beside a bad field.
func parseValidity(f uploadForm, errs map[string]string) (from, until time.Time) {
	parse := func(v, field, what string) time.Time {
		if v == "" {
			return time.Time{}
		}
		for _, layout := range []string{datetimeLocal, "2006-01-02T15:04:05", "2006-01-02 15:04"} {
			if t, err := time.ParseInLocation(layout, v, shanghai); err == nil {
				return t
			}
		}
		errs[field] = what + "格式有误，请按 2026-11-27 08:00 填写"
		return time.Time{}
	}
	from = parse(f.ValidFrom, "valid_from", "开始时间")
	until = parse(f.ValidUntil, "valid_until", "结束时间")
	if !from.IsZero() && !until.IsZero() && !from.Before(until) && errs["valid_until"] == "" {
		errs["valid_until"] = "有效期结束时间须晚于开始时间"
	}
	return from, until
}

// editableItem finds the item id of kind for its edit form and applies the
// rule of LED texts: viewers change nothing, township operators only items
// whose first version they wrote. When ok is false it has answered (404,
// or 403 and audited).
func (c *Console) editableItem(w http.ResponseWriter, r *http.Request, rc *reqCtx, id string, kind content.ItemKind) (content.Item, bool) {
	set, _, err := c.cfg.Library.Set(r.Context())
	if err != nil {
		c.internal(w, r, rc, err)
		return content.Item{}, false
	}
	i := slices.IndexFunc(set.Items, func(it content.Item) bool { return it.ID == id && it.Kind == kind })
	if i < 0 {
		c.errorPage(w, r, rc, http.StatusNotFound, "素材不存在", "内容库里没有编号为“"+id+"”的"+itemKindName(kind)+"。")
		return content.Item{}, false
	}
	if rc.acct.Role == fleet.StaffViewer {
		c.deny(w, r, rc, id, rc.acct.Scope(), "只读账号不能修改内容。")
		return content.Item{}, false
	}
	if !rc.acct.Admin() {
		hist, err := c.store.ContentHistory(r.Context(), fleet.RecordItem, id)
		if err != nil {
			c.internal(w, r, rc, err)
			return content.Item{}, false
		}
		if len(hist) > 0 && hist[0].Author != rc.acct.Username {
			c.deny(w, r, rc, id, rc.acct.Scope(), "该素材由"+hist[0].Author+"创建，乡镇操作员只能修改自己创建的素材。")
			return content.Item{}, false
		}
	}
	return set.Items[i], true
}

// itemChanges names what a new version changes, for the audit summary.
func itemChanges(old, cur content.Item) string {
	var ch []string
	if old.Image != nil && cur.Image != nil {
		if old.SHA256 != cur.SHA256 {
			ch = append(ch, fmt.Sprintf("更换图片文件（%s %d×%d，SHA-256 %s）", cur.Image.Format, cur.Image.Width, cur.Image.Height, cur.SHA256))
		}
		if old.Image.Alt != cur.Image.Alt {
			ch = append(ch, "说明文字")
		}
	}
	if old.Article != nil && cur.Article != nil {
		if old.Article.Title != cur.Article.Title {
			ch = append(ch, "标题")
		}
		if old.Article.Body != cur.Article.Body {
			ch = append(ch, "正文")
		}
	}
	if !slices.Equal(old.Tags, cur.Tags) {
		ch = append(ch, "标签")
	}
	if !old.ValidFrom.Equal(cur.ValidFrom) || !old.ValidUntil.Equal(cur.ValidUntil) {
		ch = append(ch, "有效期")
	}
	return strings.Join(ch, "、")
}

// itemAuditText is what the audit row's before/after shows of a picture or
// article version.
func itemAuditText(it content.Item) string {
	var b strings.Builder
	switch {
	case it.Image != nil:
		fmt.Fprintf(&b, "说明：%s\n文件：%s %d×%d，SHA-256 %s", it.Image.Alt, it.Image.Format, it.Image.Width, it.Image.Height, it.SHA256)
	case it.Article != nil:
		b.WriteString(it.Article.Title + "\n\n" + it.Article.Body)
	}
	if len(it.Tags) > 0 {
		b.WriteString("\n标签：" + strings.Join(it.Tags, "，"))
	}
	if v := validityText(it); v != "" {
		b.WriteString("\n有效期：" + v)
	}
	return b.String()
}

func (c *Console) imageFormPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if d, ok := c.startUpload(w, r, rc, content.KindImage); ok {
		c.showUpload(w, r, rc, http.StatusOK, d)
	}
}

func (c *Console) articleFormPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if d, ok := c.startUpload(w, r, rc, content.KindArticle); ok {
		c.showUpload(w, r, rc, http.StatusOK, d)
	}
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

// readPicture reads and checks the uploaded picture; errs gets the reason
// beside the file field. present is false when no file was chosen (which
// is an error only when required).
func readPicture(r *http.Request, required bool, errs map[string]string) (data []byte, format string, cfg image.Config, present bool) {
	file, hdr, err := r.FormFile("file")
	switch {
	case errors.Is(err, http.ErrMissingFile) && !required:
		return nil, "", image.Config{}, false
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
	return data, format, cfg, true
}

// saveImage uploads a new picture, or (editing=1) stores a new version of
// one: alt text, tags, validity and, if a file is chosen, the picture.
func (c *Console) saveImage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	d, ok := c.startUpload(w, r, rc, content.KindImage)
	if !ok {
		return
	}
	f := readUploadForm(r)
	d.Form = f
	errs := d.Errors
	if n := utf8.RuneCountInString(f.Alt); n == 0 {
		errs["alt"] = "请填写图片标题或说明文字（看不到图片时显示、朗读）"
	} else if n > maxAltRunes {
		errs["alt"] = fmt.Sprintf("说明文字共 %d 字，不能超过 %d 字", n, maxAltRunes)
	}
	tags, from, until := c.checkItemFields(r, d)
	data, format, cfg, present := readPicture(r, !d.Editing, errs)
	if len(errs) > 0 {
		c.showUpload(w, r, rc, http.StatusBadRequest, d)
		return
	}
	var it content.Item
	if present {
		sum, _, err := c.cfg.Library.Blobs().Put(bytes.NewReader(data), fleet.MaxUpload, "")
		if err != nil {
			if problemsToFields(err, errs) {
				errs["file"], errs[""] = errs[""], ""
				c.showUpload(w, r, rc, http.StatusBadRequest, d)
				return
			}
			c.internal(w, r, rc, err)
			return
		}
		id := f.ID
		if id == "" {
			id = "img-" + sum[:12]
		}
		it = content.NewImage(id, 1, format, cfg.Width, cfg.Height, data)
	} else {
		// The stored picture stays; PutItem re-reads its format and size.
		it = d.Item
		img := *d.Item.Image
		it.Image = &img
	}
	it.Image.Alt = f.Alt
	it.Tags = tags
	it.ValidFrom, it.ValidUntil = from, until
	c.putUpload(w, r, rc, d, it, imageErrors, func(stored content.Item) string {
		return fmt.Sprintf("上传图片 %s（第%d版，%s %d×%d，%d 字节，SHA-256 %s）", stored.ID, stored.Version, stored.Image.Format, stored.Image.Width, stored.Image.Height, stored.Size, stored.SHA256)
	}, f.Alt)
}

// imageErrors maps content problems to the picture form's fields, those
// about the picture itself beside the file.
func imageErrors(err error, errs map[string]string) bool {
	if !problemsToFields(err, errs) {
		return false
	}
	if v := errs[""]; v != "" {
		errs["file"], errs[""] = v, ""
	}
	return true
}

// saveArticle writes a new article, or (editing=1) stores a new version of
// one: title, body, tags and validity.
func (c *Console) saveArticle(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	d, ok := c.startUpload(w, r, rc, content.KindArticle)
	if !ok {
		return
	}
	f := readUploadForm(r)
	d.Form = f
	errs := d.Errors
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
	tags, from, until := c.checkItemFields(r, d)
	id := f.ID
	if id == "" {
		id = newID("article-")
	}
	it := content.NewArticle(id, 1, f.Title, f.Body)
	it.Tags = tags
	it.ValidFrom, it.ValidUntil = from, until
	if len(errs) == 0 {
		if err := (&content.Set{Items: []content.Item{it}}).Validate(); err != nil {
			articleErrors(err, errs)
		}
	}
	if len(errs) > 0 {
		c.showUpload(w, r, rc, http.StatusBadRequest, d)
		return
	}
	c.putUpload(w, r, rc, d, it, articleErrors, func(stored content.Item) string {
		return fmt.Sprintf("保存文章 %s（第%d版）：%s", stored.ID, stored.Version, f.Title)
	}, f.Title+"\n\n"+f.Body)
}

// articleErrors maps content problems to the article form's fields.
func articleErrors(err error, errs map[string]string) bool {
	m := map[string]string{}
	if !problemsToFields(err, m) {
		return false
	}
	var ps content.Problems
	if errors.As(err, &ps) && len(ps) > 0 {
		problemsBeside(ps, errs, articleFieldOf)
		return true
	}
	for k, v := range m {
		if errs[k] == "" {
			errs[k] = v
		}
	}
	return true
}

// articleFieldOf maps a content problem's field to the article form's:
// the title and body; tags, validity and ID as on the LED text form.
func articleFieldOf(field string) string {
	switch {
	case strings.HasSuffix(field, "article.title"):
		return "title"
	case strings.HasSuffix(field, "article.body"):
		return "body"
	}
	return itemFieldOf(field)
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
	c.writePNG(w, r, rc, pu.Area.Pages[0].Bitmap, previewScale(r, spec))
}
