package offline

import "lawpoint/kiosk/flow"

func flowReq(s flow.Slot) flow.BookingRequest {
	return flow.BookingRequest{Service: "法律咨询", AdviserID: "adviser-lin", Slot: s, Phone: "13812345678"}
}
