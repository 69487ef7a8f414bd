package fleet

import "context"

// Message is one MQTT message delivered to the fleet.
type Message struct {
	Topic    string
	Payload  []byte
	Retained bool // delivered from the broker's retained store
}

// Handler receives messages. It runs on the connection's delivery path, so
// it must return quickly: decode, check, hand over to a queue.
type Handler func(Message)

// Bus is the fleet's own MQTT connection: the embedded broker's inline
// client (fleet/broker) or a client of an external MQTT 3.1.1 broker
// (fleet/mqttbus). The fleet's MQTT logic is written against Bus only, so
// both modes run the same code.
type Bus interface {
	// Publish sends one message and returns once the broker has it (QoS 1)
	// or it is written (QoS 0), or when ctx ends.
	Publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error
	// Subscribe delivers messages matching filter to h, including retained
	// ones. Where the bus supports it, fleet replicas share the subscription
	// (wire.SharedGroup) so each message reaches one replica.
	Subscribe(ctx context.Context, filter string, qos byte, h Handler) error
}
