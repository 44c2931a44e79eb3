"""A bare MQTT 5 echo responder: replies to every ticket request at once, from paho's network thread.

The baseline of bench_coordinator: the same broker, the same client library, Nagle off — everything but the
coordinator's work (validation, the engine, SQLite, the board)."""

from __future__ import annotations

import argparse
import socket
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from motcua.contract import ErrorCode, ErrorReply, Topics

REPLY = ErrorReply(error=ErrorCode.QUEUE_EMPTY, message="echo").to_bytes()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--site", required=True)
    args = parser.parse_args()
    topics = Topics(args.site)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="coordinator", protocol=MQTTProtocolVersion.MQTTv5)
    client.username_pw_set("coordinator", args.password)
    client.on_socket_open = lambda c, u, s: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def on_connect(c, u, f, rc, p):
        c.subscribe(topics.ticket_request("+"), qos=1)
        print("ready", flush=True)

    def on_message(c, u, msg):
        props = Properties(PacketTypes.PUBLISH)
        props.CorrelationData = msg.properties.CorrelationData
        c.publish(msg.properties.ResponseTopic, REPLY, qos=1, properties=props)

    client.on_connect = on_connect
    client.on_message = on_message
    client.connect("127.0.0.1", args.port)
    client.loop_start()
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
