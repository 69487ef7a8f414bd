package fleet

import "errors"

// Error is an error with a stable code, an English message for logs and a
// Simplified Chinese message for staff. Compare with errors.Is against the
// sentinel values below; wrapped errors keep their code.
type Error struct {
	Code string // stable, machine-readable, e.g. "token_used"
	Msg  string // English, says what happened and what to do
	Zh   string // Simplified Chinese, for staff
}

func (e *Error) Error() string { return e.Msg }

// Is matches errors by code, so a copy with the same code matches a sentinel.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinel errors of the registry and the store.
var (
	ErrNotFound = &Error{"not_found", "not found: check the ID", "未找到该记录，请核对编号"}
	ErrExists   = &Error{"exists", "already exists: choose another ID", "该编号已存在，请换一个编号"}
	ErrInvalid  = &Error{"invalid", "invalid input", "输入有误"}

	ErrTokenUnknown = &Error{"token_unknown", "enrolment token unknown: check it was copied completely, or ask staff for a new one",
		"注册码无效：请检查是否完整输入，或请工作人员重新生成"}
	ErrTokenUsed = &Error{"token_used", "enrolment token already used: each token enrols once; ask staff for a new token",
		"注册码已被使用：每个注册码只能使用一次，请工作人员重新生成"}
	ErrTokenExpired = &Error{"token_expired", "enrolment token expired: ask staff for a new token",
		"注册码已过期：请工作人员重新生成"}
	ErrRevoked = &Error{"revoked", "device is revoked: create a new device record to bring it back",
		"该设备已停用：如需重新使用，请新建设备记录"}
	ErrBadCredentials = &Error{"bad_credentials", "wrong username or password",
		"用户名或密码错误"}
	ErrConflict = &Error{"conflict", "changed by someone else at the same time: reload and try again",
		"数据已被他人同时修改，请刷新后重试"}
	ErrUnauthorized = &Error{"unauthorized", "not signed in or the session expired: log in again",
		"未登录或登录已过期，请重新登录"}
	ErrTooMany = &Error{"too_many_requests", "too many attempts: wait a minute and try again",
		"尝试次数过多，请稍等一分钟后再试"}
	ErrTooLarge = &Error{"too_large", "upload too large", "上传的文件过大"}
)

// invalid returns an ErrInvalid that names the field and the fix.
func invalid(msg, zh string) error {
	return &Error{Code: ErrInvalid.Code, Msg: "invalid input: " + msg, Zh: zh}
}

// StaffMessage returns the Simplified Chinese message for err, for showing to
// staff, or a generic one when err carries none.
func StaffMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Zh != "" {
		return e.Zh
	}
	return "操作失败，请稍后重试；如仍失败，请联系系统管理员"
}
