package bx

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrorCode is the controller's error register in a reply (both families
// share the numbering, 5th/6th manual 5.2.2 and the BX-K SDK's error table).
type ErrorCode uint16

const (
	CodeOK              ErrorCode = 0
	CodeOutOfGroup      ErrorCode = 1
	CodeNoCommand       ErrorCode = 2
	CodeBusy            ErrorCode = 3
	CodeMemoryVolume    ErrorCode = 4
	CodeChecksum        ErrorCode = 5
	CodeFileNotExist    ErrorCode = 6
	CodeFlash           ErrorCode = 7
	CodeFileDownload    ErrorCode = 8
	CodeFileName        ErrorCode = 9
	CodeFileType        ErrorCode = 10
	CodeFileCRC         ErrorCode = 11
	CodeFontNotExist    ErrorCode = 12
	CodeFirmwareType    ErrorCode = 13
	CodeDateTimeFormat  ErrorCode = 14
	CodeFileExist       ErrorCode = 15
	CodeFileBlockNumber ErrorCode = 16
	CodeControllerType  ErrorCode = 17
	CodeScreenParameter ErrorCode = 18
	CodeControllerID    ErrorCode = 19
)

type codeInfo struct{ name, en, zh, fix string }

var codeInfos = map[ErrorCode]codeInfo{
	CodeOK:              {"ERR_NO", "no error", "没有错误", ""},
	CodeOutOfGroup:      {"ERR_OUTOFGROUP", "command group error", "命令组错误", "the controller does not know this command group; check the model"},
	CodeNoCommand:       {"ERR_NOCMD", "command does not exist", "此命令不存在", "the controller does not know this command; check the model"},
	CodeBusy:            {"ERR_BUSY", "controller busy", "控制器忙", "wait and send again"},
	CodeMemoryVolume:    {"ERR_MEMORYVOLUME", "out of memory volume", "存储器容量越界", "send fewer or smaller pages"},
	CodeChecksum:        {"ERR_CHECKSUM", "packet CRC error", "数据包CRC校验错误", "the frame was damaged on the line; check wiring and baud rate, then resend"},
	CodeFileNotExist:    {"ERR_FILENOTEXIST", "file does not exist", "此文件不存在", ""},
	CodeFlash:           {"ERR_FLASH", "flash access error", "Flash访问错误", "the controller's storage failed; power-cycle it"},
	CodeFileDownload:    {"ERR_FILE_DOWNLOAD", "file download error", "文件下载错误", ""},
	CodeFileName:        {"ERR_FILE_NAME", "file name error", "文件名错误", ""},
	CodeFileType:        {"ERR_FILE_TYPE", "file type error", "文件类型错误", ""},
	CodeFileCRC:         {"ERR_FILE_CRC16", "file CRC error", "文件校验错误", ""},
	CodeFontNotExist:    {"ERR_FONT_NOT_EXIST", "font library does not exist", "字库文件不存在", "load the GB2312 font onto the card with the vendor tool"},
	CodeFirmwareType:    {"ERR_FIRMWARE_TYPE", "firmware does not match the controller type", "Firmware与控制器类型不匹配", ""},
	CodeDateTimeFormat:  {"ERR_DATE_TIME_FORMAT", "date/time format error", "日期时间格式错误", "send a valid time"},
	CodeFileExist:       {"ERR_FILE_EXIST", "file already exists", "此文件已存在", ""},
	CodeFileBlockNumber: {"ERR_FILE_BLOCK_NUM", "file block number error", "文件Block号错误", ""},
	CodeControllerType:  {"ERR_CONTROLLER_TYPE", "controller type mismatch", "控制器类型不匹配", "configure the right model (device type) for this board"},
	CodeScreenParameter: {"ERR_SCREEN_PARA", "controller parameter out of range or wrong", "控制器参数越界或错误", "check area position, size and colours against the board"},
	CodeControllerID:    {"ERR_CONTROLLER_ID", "controller ID error", "控制器ID错误", "check the screen address"},
}

// String is the manual's name, e.g. "ERR_BUSY".
func (c ErrorCode) String() string {
	if i, ok := codeInfos[c]; ok {
		return i.name
	}
	return fmt.Sprintf("ERR_%d", uint16(c))
}

// Meaning says what the code means, in English.
func (c ErrorCode) Meaning() string {
	if i, ok := codeInfos[c]; ok {
		return i.en
	}
	return "unknown error"
}

// Chinese says what the code means, as the manual puts it.
func (c ErrorCode) Chinese() string {
	if i, ok := codeInfos[c]; ok {
		return i.zh
	}
	return "未知错误"
}

// ErrNACK is wrapped by the error a negative reply carries.
var ErrNACK = errors.New("bx: controller refused the request (NACK)")

// NACKError is a controller's refusal with its reason.
type NACKError struct{ Code ErrorCode }

func (e *NACKError) Error() string {
	s := fmt.Sprintf("bx: controller refused the request: %s (%s, %d; %s)", e.Code.Meaning(), e.Code, uint16(e.Code), e.Code.Chinese())
	if fix := codeInfos[e.Code].fix; fix != "" {
		s += "; " + fix
	}
	return s
}

func (e *NACKError) Unwrap() error { return ErrNACK }

// Reply is a controller's answer.
type Reply struct {
	Header Header
	Group  byte      // 0xA0 for ACK/NACK; the request's group for replies with data
	Cmd    byte      // 0x00 ACK, 0x01 NACK; otherwise a data reply's code
	Status uint16    // picture controllers' status register; bit 0 set on NACK
	Code   ErrorCode // error register (one byte on font cards)
	Data   []byte
}

// IsACK reports a positive acknowledgement.
func (r Reply) IsACK() bool { return r.Group == grpAck && r.Cmd == 0x00 }

// IsNACK reports a refusal.
func (r Reply) IsNACK() bool { return r.Group == grpAck && r.Cmd == 0x01 }

// Err is nil unless the reply is a NACK (or sets the status NACK bit), in
// which case it is a *NACKError carrying the controller's reason.
func (r Reply) Err() error {
	if r.IsNACK() || r.Status&1 != 0 {
		return &NACKError{Code: r.Code}
	}
	return nil
}

// replyHeader answers req as the controller whose device type is device.
func replyHeader(req Header, device uint16) Header {
	h := Header{Family: req.Family, Dst: req.Src, Src: req.Dst, DeviceType: device}
	if req.Family == FontCard {
		h.Check = CheckCRC16
	}
	return h
}

// ACKFor is the positive answer to a request with header req, sent by a
// controller of the given device type.
func ACKFor(req Header, device uint16) Reply {
	return Reply{Header: replyHeader(req, device), Group: grpAck, Cmd: 0x00}
}

// NACKFor is the refusal of a request with header req, with reason code.
func NACKFor(req Header, device uint16, code ErrorCode) Reply {
	r := Reply{Header: replyHeader(req, device), Group: grpAck, Cmd: 0x01, Code: code}
	if req.Family == Picture {
		r.Status = 1 // the NACK bit of the status register
	}
	return r
}

// EncodeReply builds the frame of a reply.
//
// Picture controllers: reserved(1) group cmd status(2) error(2) length(2)
// data (manual 5.1.2). Font cards: group cmd error(1) reserved(2) data,
// mirroring the request layout (vendor Java SDK's BxResp fields).
func EncodeReply(r Reply) ([]byte, error) {
	var d []byte
	switch r.Header.Family {
	case Picture:
		if len(r.Data) > 0xFFFF {
			return nil, invalid("reply data of %d bytes exceeds 65535", len(r.Data))
		}
		d = []byte{0x00, r.Group, r.Cmd}
		d = binary.LittleEndian.AppendUint16(d, r.Status)
		d = binary.LittleEndian.AppendUint16(d, uint16(r.Code))
		d = binary.LittleEndian.AppendUint16(d, uint16(len(r.Data)))
	case FontCard:
		if r.Code > 0xFF {
			return nil, invalid("font-card error code %d does not fit one byte", r.Code)
		}
		if r.Status != 0 {
			return nil, invalid("font-card replies carry no status register; leave Status 0")
		}
		d = []byte{r.Group, r.Cmd, byte(r.Code), 0, 0}
	default:
		return nil, invalid("reply family %v unknown", r.Header.Family)
	}
	return Pack(r.Header, append(d, r.Data...))
}

// ParseReply decodes a reply frame.
func ParseReply(wire []byte) (Reply, error) {
	p, err := Unframe(wire)
	if err != nil {
		return Reply{}, err
	}
	return ReplyFromPacket(p)
}

// ReplyFromPacket decodes the reply carried by p.
func ReplyFromPacket(p Packet) (Reply, error) {
	r := Reply{Header: p.Header}
	d := p.Data
	switch p.Header.Family {
	case Picture:
		if len(d) < 9 {
			return Reply{}, frameErr(ErrLength, "reply data of %d bytes, need at least 9", len(d))
		}
		r.Group, r.Cmd = d[1], d[2]
		r.Status = binary.LittleEndian.Uint16(d[3:])
		r.Code = ErrorCode(binary.LittleEndian.Uint16(d[5:]))
		n := int(binary.LittleEndian.Uint16(d[7:]))
		if n != len(d)-9 {
			return Reply{}, frameErr(ErrLength, "reply says %d data bytes, holds %d", n, len(d)-9)
		}
		if n > 0 {
			r.Data = append([]byte(nil), d[9:]...)
		}
	case FontCard:
		if len(d) < 5 {
			return Reply{}, frameErr(ErrLength, "reply data of %d bytes, need at least 5", len(d))
		}
		r.Group, r.Cmd, r.Code = d[0], d[1], ErrorCode(d[2])
		if len(d) > 5 {
			r.Data = append([]byte(nil), d[5:]...)
		}
	}
	if r.Group == grpAck && r.Cmd > 0x01 {
		return Reply{}, frameErr(ErrUnknownCommand, "reply %02X %02X is neither ACK nor NACK", r.Group, r.Cmd)
	}
	return r, nil
}
