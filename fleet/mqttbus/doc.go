// Package mqttbus is fleet.Bus over a network MQTT 3.1.1 connection (paho),
// for running the fleet against an external broker (Mosquitto, EMQX) or a
// remote embedded one. It connects with a fleet account (see
// fleet.Registry.CreateFleetAccount), subscribes through shared
// subscriptions so several fleet replicas split the load, and resubscribes
// after every reconnect.
package mqttbus
