package console

import (
	"errors"
	"net/http"

	"lawpoint/fleet"
)

// FleetTickets is the public ticket page's lookup over the fleet's stored
// ticket events (fleet.Tickets).
func FleetTickets(t *fleet.Tickets) TicketLookup {
	return func(r *http.Request, deviceID, day, number string) (Ticket, bool, error) {
		st, err := t.Status(r.Context(), deviceID, day, number)
		if errors.Is(err, fleet.ErrNotFound) {
			return Ticket{}, false, nil
		}
		if err != nil {
			return Ticket{}, false, err
		}
		ahead := -1
		if st.State == fleet.TicketWaiting {
			ahead = st.Ahead
		}
		return Ticket{Number: st.Number, Category: st.Category, Status: st.StatusText(), Ahead: ahead, Point: st.ContactPoint}, true, nil
	}
}
