"""A fake Asterisk for the ARI tests: events in ARI's wire format, and a
local websocket server speaking RFC 6455 like Asterisk's ``/ari/events``."""

import base64
import contextlib
import hashlib
import itertools
import json
import socket
import struct
import threading
import time
from datetime import timedelta, timezone
from urllib.parse import parse_qs, urlsplit

from odoo.tests import new_test_user

from .common import BASE_TIME, CallcenterCase

ARI_USER = "odoo"
ARI_PASSWORD = "s3cret-ari-pass"
# Asterisk writes local times with their offset: the PBX here is in Moscow.
PBX_TZ = timezone(timedelta(hours=3))
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def ari_time(moment):
    """Naive UTC → ``2026-03-02T12:00:00.000+0300`` as Asterisk writes it."""
    local = moment.replace(tzinfo=timezone.utc).astimezone(PBX_TZ)
    return (
        local.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{local.microsecond // 1000:03d}"
        + (local.strftime("%z"))
    )


class FakeAsterisk:
    """Builds ARI channel objects and events (``channelvars`` carries the
    linkedid, as ``channelvars = CHANNEL(linkedid)`` in ari.conf does)."""

    def __init__(self, app="odoo"):
        self.app = app
        self._ids = itertools.count(412)
        self._suffix = itertools.count(0x11A)

    def channel(
        self,
        endpoint,
        *,
        linked=None,
        state="Ring",
        number="",
        name="",
        connected=("", ""),
        context="from-trunk",
        exten="s",
        created=None,
        channel_id=None,
        tech="PJSIP",
    ):
        """A channel; ``linked`` is the call's first channel (None: itself)."""
        channel_id = channel_id or f"1772442000.{next(self._ids)}"
        created = created or BASE_TIME
        if tech == "Local":
            channel_name = f"Local/{endpoint}-{next(self._suffix):08x};1"
        else:
            channel_name = f"{tech}/{endpoint}-{next(self._suffix):08x}"
        return {
            "id": channel_id,
            "name": channel_name,
            "state": state,
            "protocol_id": "",
            "caller": {"name": name, "number": number},
            "connected": {"name": connected[1], "number": connected[0]},
            "accountcode": "",
            "dialplan": {"context": context, "exten": exten, "priority": 1},
            "creationtime": ari_time(created),
            "language": "ru",
            "channelvars": {
                "CHANNEL(linkedid)": linked["id"] if linked else channel_id
            },
        }

    @staticmethod
    def with_state(channel, state):
        return {**channel, "state": state}

    def event(self, event_type, at, **fields):
        doc = {"type": event_type, "timestamp": ari_time(at), **fields}
        doc["asterisk_id"] = "52:54:00:12:34:56"
        doc["application"] = self.app
        return json.dumps(doc, ensure_ascii=False)

    # -- whole calls ---------------------------------------------------------

    def inbound(
        self,
        number="79161234567",
        name="",
        did="74951234567",
        start=BASE_TIME,
        trunk="trunk-rt",
    ):
        return self.channel(
            trunk, number=number, name=name, exten=did, created=start, state="Ring"
        )

    def agent_leg(self, customer, extension="101", at=None, tech="PJSIP"):
        return self.channel(
            extension if tech != "Local" else f"{extension}@from-queue",
            linked=customer,
            state="Down",
            number=extension,
            connected=(customer["caller"]["number"], ""),
            context="from-internal",
            created=at,
            tech=tech,
        )

    def ring_agent(self, customer, agent, at):
        """Dial begins, the phone rings."""
        return [
            self.event("ChannelCreated", at, channel=agent),
            self.event(
                "Dial",
                at,
                caller=customer,
                peer=agent,
                dialstatus="",
                dialstring=agent["name"].split("/")[1].rsplit("-", 1)[0],
            ),
            self.event(
                "ChannelStateChange", at, channel=self.with_state(agent, "Ringing")
            ),
            self.event(
                "Dial",
                at,
                caller=customer,
                peer=self.with_state(agent, "Ringing"),
                dialstatus="RINGING",
            ),
        ]

    def answer_agent(self, customer, agent, at):
        up = self.with_state(agent, "Up")
        return [
            self.event("ChannelStateChange", at, channel=up),
            self.event("Dial", at, caller=customer, peer=up, dialstatus="ANSWER"),
            self.event(
                "ChannelStateChange", at, channel=self.with_state(customer, "Up")
            ),
        ]

    def hangup(self, channel, at, cause=16, cause_txt="Normal Clearing"):
        return [
            self.event("ChannelHangupRequest", at, cause=cause, channel=channel),
            self.event(
                "ChannelDestroyed",
                at,
                cause=cause,
                cause_txt=cause_txt,
                channel=channel,
            ),
        ]

    def answered_call(self, number="79161234567", name="", extension="101"):
        """§2.4 inbound answered: rings 101 at +2 s, answered at +8 s,
        hung up at +68 s (60 s of talk)."""
        start = BASE_TIME
        customer = self.inbound(number=number, name=name, start=start)
        agent = self.agent_leg(customer, extension, at=start + timedelta(seconds=2))
        up_customer = self.with_state(customer, "Up")
        return [
            self.event("ChannelCreated", start, channel=customer),
            self.event(
                "ChannelDialplan",
                start,
                channel=customer,
                dialplan_app="Queue",
                dialplan_app_data="sales",
            ),
            *self.ring_agent(customer, agent, start + timedelta(seconds=2)),
            *self.answer_agent(customer, agent, start + timedelta(seconds=8)),
            self.event(
                "ChannelEnteredBridge",
                start + timedelta(seconds=8),
                channel=up_customer,
                bridge={"id": "b-1", "technology": "simple_bridge"},
            ),
            *self.hangup(self.with_state(agent, "Up"), start + timedelta(seconds=68)),
            *self.hangup(up_customer, start + timedelta(seconds=68)),
        ]

    def ivr_missed_call(self, number="79161234567"):
        """The IVR answers the customer at once, 101 rings 20 s without
        answer, the customer hangs up after 40 s in all."""
        start = BASE_TIME
        customer = self.inbound(number=number, start=start)
        up_customer = self.with_state(customer, "Up")
        agent = self.agent_leg(customer, "101", at=start + timedelta(seconds=15))
        return [
            self.event("ChannelCreated", start, channel=customer),
            self.event(
                "ChannelStateChange", start + timedelta(seconds=1), channel=up_customer
            ),
            *self.ring_agent(up_customer, agent, start + timedelta(seconds=15)),
            self.event(
                "Dial",
                start + timedelta(seconds=35),
                caller=up_customer,
                peer=self.with_state(agent, "Ringing"),
                dialstatus="NOANSWER",
            ),
            *self.hangup(agent, start + timedelta(seconds=35), 19, "No answer"),
            *self.hangup(up_customer, start + timedelta(seconds=40)),
        ]


class AriCase(CallcenterCase):
    """An Asterisk ARI provider with extensions 101 and 102."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ru = cls.env.ref("base.ru")
        cls.ari = cls.env["crm.callcenter.provider"].create(
            {
                "name": "Asterisk",
                "code": "asterisk_ari",
                "default_country_id": cls.ru.id,
                "asterisk_ari_url": "http://127.0.0.1:8088",
                "asterisk_ari_user": ARI_USER,
                "asterisk_ari_password": ARI_PASSWORD,
                "asterisk_ari_app": "odoo",
                "asterisk_ari_trunks": "trunk-*, PJSIP/sipnet",
            }
        )
        cls.env["crm.callcenter.extension"].create(
            [
                {"name": "101", "provider_id": cls.ari.id, "user_id": cls.agent.id},
                {"name": "102", "provider_id": cls.ari.id, "user_id": cls.agent_b.id},
            ]
        )
        cls.ru_partner = cls.env["res.partner"].create(
            {
                "name": "Иван Петров",
                "phone": "+7 916 123-45-67",
                "country_id": cls.ru.id,
            }
        )
        cls.asterisk = FakeAsterisk()
        cls.ari_manager = new_test_user(
            cls.env,
            login="cc_ari_admin",
            groups="base.group_system,crm_callcenter.crm_callcenter_group_manager",
        )

    def ari_calls(self, env_model=None):
        """Calls of the ARI provider (``env_model``: a model of another env)."""
        Call = (env_model or self.env["crm.callcenter.provider"]).env[
            "crm.callcenter.call"
        ]
        return Call.search([("provider_id", "=", self.ari.id)])


class AriServer:
    """Asterisk's ``/ari/events`` websocket on 127.0.0.1, RFC 6455 text
    frames, HTTP Basic or ``api_key`` authentication on the upgrade."""

    def __init__(self, user=ARI_USER, password=ARI_PASSWORD):
        self.user = user
        self.password = password
        self.listen = socket.create_server(("127.0.0.1", 0))
        self.listen.settimeout(0.2)
        self.port = self.listen.getsockname()[1]
        self.handshakes = []  # (path, query, headers) of accepted upgrades
        self.refused = 0
        self.received = []  # text frames the client sent
        # GET /ari/channels: the channels up now, or an HTTP error status.
        self.channels = []
        self.channels_status = 200
        self.channel_requests = 0
        self.client_closes = 0  # close frames the client sent
        self.conn = None
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    # -- server side ---------------------------------------------------------

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, _addr = self.listen.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(10)
            try:
                self._handshake(conn)
            except OSError:
                conn.close()

    def _handshake(self, conn):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                conn.close()
                return
            data += chunk
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        request_line, *lines = head.split("\r\n")
        path = request_line.split(" ")[1]
        headers = {}
        for line in lines:
            key, _sep, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        parts = urlsplit(path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        expected = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        authorized = headers.get("authorization") == f"Basic {expected}" or (
            query.get("api_key") == f"{self.user}:{self.password}"
        )
        if not authorized:
            with self._lock:
                self.refused += 1
                self._lock.notify_all()
            conn.sendall(
                b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n"
                b"Connection: close\r\n\r\n"
            )
            conn.close()
            return
        if "sec-websocket-key" not in headers:
            self._rest(conn, request_line.split(" ")[0], parts.path)
            return
        accept = base64.b64encode(
            hashlib.sha1((headers["sec-websocket-key"] + WS_GUID).encode()).digest()
        ).decode()
        conn.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        conn.settimeout(None)
        with self._lock:
            self.conn = conn
            self.handshakes.append((parts.path, query, headers))
            self._lock.notify_all()
        threading.Thread(target=self._read_loop, args=(conn,), daemon=True).start()

    def _rest(self, conn, method, path):
        """The REST API beside the websocket: ``GET /ari/channels``."""
        if (method, path) == ("GET", "/ari/channels"):
            status = self.channels_status
            body = json.dumps(self.channels if status == 200 else {}).encode()
            with self._lock:
                self.channel_requests += 1
                self._lock.notify_all()
        else:
            status, body = 404, b'{"message": "Resource not found"}'
        conn.sendall(
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        conn.close()

    def _recv_exact(self, conn, size):
        data = b""
        while len(data) < size:
            chunk = conn.recv(size - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def _read_loop(self, conn):
        try:
            while True:
                first, second = self._recv_exact(conn, 2)
                opcode = first & 0x0F
                length = second & 0x7F
                if length == 126:
                    (length,) = struct.unpack("!H", self._recv_exact(conn, 2))
                elif length == 127:
                    (length,) = struct.unpack("!Q", self._recv_exact(conn, 8))
                mask = self._recv_exact(conn, 4) if second & 0x80 else b"\0\0\0\0"
                payload = bytes(
                    byte ^ mask[index % 4]
                    for index, byte in enumerate(self._recv_exact(conn, length))
                )
                if opcode == 0x8:
                    with self._lock:
                        self.client_closes += 1
                        self._lock.notify_all()
                    self._send_frame(conn, 0x8, payload[:2])
                    conn.close()
                    return
                if opcode == 0x9:
                    self._send_frame(conn, 0xA, payload)
                elif opcode == 0x1:
                    with self._lock:
                        self.received.append(payload.decode())
                        self._lock.notify_all()
        except OSError:
            return

    @staticmethod
    def _send_frame(conn, opcode, payload):
        header = bytes([0x80 | opcode])
        if len(payload) < 126:
            header += bytes([len(payload)])
        elif len(payload) < 65536:
            header += bytes([126]) + struct.pack("!H", len(payload))
        else:
            header += bytes([127]) + struct.pack("!Q", len(payload))
        conn.sendall(header + payload)

    # -- what tests do -------------------------------------------------------

    def send(self, *messages):
        for message in messages:
            self._send_frame(self.conn, 0x1, message.encode())

    def drop(self):
        """Close the TCP connection without a close frame (a crash, a
        network cut)."""
        conn, self.conn = self.conn, None
        conn.shutdown(socket.SHUT_RDWR)
        conn.close()

    def wait_for(self, predicate, timeout=20):
        deadline = time.monotonic() + timeout
        with self._lock:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("the fake Asterisk waited in vain")
                self._lock.wait(min(remaining, 0.2))

    def wait_connections(self, count, timeout=20):
        self.wait_for(lambda: len(self.handshakes) >= count, timeout)

    def close(self):
        self._stop.set()
        self.listen.close()
        if self.conn:
            with contextlib.suppress(OSError):
                self.conn.close()
        self._thread.join(5)
