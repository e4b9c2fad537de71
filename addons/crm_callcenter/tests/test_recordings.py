"""Call recordings, played through Odoo by whoever may read the call.

The providers' APIs are faked at the transport (``responses``), speaking
their documented formats: Twilio's media URL behind the account's Basic
auth, Zadarma's signed link request, Mango Office's signed download query
answered by a redirect, Rostelecom's signed get_record for a link good for
one download from Odoo's address, Kazoo's Crossbar media behind an auth
token; a self-hosted PBX's recording files from the web server that serves
their folder.
"""

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
import responses

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common import CallcenterCase, FakedApiMixin

PATH = "/callcenter/call/{}/recording"
PBX_LINK = "https://pbx.example.com/rec/rec-1.mp3"
TWILIO_SID = "AC" + "a" * 32
TWILIO_TOKEN = "0123456789abcdef0123456789abcdef"
TWILIO_RECORDING = (
    f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}/Recordings/RE" + "b" * 32
)
ZADARMA_KEY = "zd_key"
ZADARMA_SECRET = "zd_secret"
ZADARMA_RECORD_URL = "https://api.zadarma.com/v1/pbx/record/request/"
MANGO_KEY = "mango_key"
MANGO_SALT = "mango_salt"
MANGO_QUERY_URL = "https://app.mango-office.ru/vpbx/queries/recording/post"
RT_CLIENT = "5E61B2AB42BA100556C447F4BB8A572F"
RT_KEY = "9F3C1D2E4B5A69788796A5B4C3D2E1F0"
RT_GET_RECORD = "https://api.cloudpbx.rt.ru/get_record"
RT_LINK = "https://records.cloudpbx.rt.ru/once/5f0c2a.mp3"
KAZOO_API = "https://kazoo.example.com:8443"
KAZOO_ACCOUNT = "a" * 32
KAZOO_KEY = "kazoo-api-key"
KAZOO_TOKEN = "kazoo-auth-token-1"
KAZOO_MEDIA = f"{KAZOO_API}/v2/accounts/{KAZOO_ACCOUNT}/recordings/202612-c0ffee"
FILES_URL = "https://files.pbx.example.net/rec"
FS_FOLDER = "/var/lib/freeswitch/recordings"
AUDIO = bytes(range(256)) * 8


@tagged("post_install", "-at_install")
class TestRecordings(FakedApiMixin, HttpCase, CallcenterCase):
    faked_api_hosts = (
        "api.twilio.com",
        "api.zadarma.com",
        "app.mango-office.ru",
        "api.cloudpbx.rt.ru",
        "records.cloudpbx.rt.ru",
        "kazoo.example.com",
        "files.pbx.example.net",
    )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Provider = cls.env["crm.callcenter.provider"]
        cls.twilio = Provider.create(
            {
                "name": "Twilio",
                "code": "twilio",
                "twilio_account_sid": TWILIO_SID,
                "twilio_auth_token": TWILIO_TOKEN,
            }
        )
        cls.zadarma = Provider.create(
            {
                "name": "Zadarma",
                "code": "zadarma",
                "zadarma_api_key": ZADARMA_KEY,
                "zadarma_api_secret": ZADARMA_SECRET,
            }
        )
        cls.mango = Provider.create(
            {
                "name": "Mango",
                "code": "mango",
                "mango_api_key": MANGO_KEY,
                "mango_api_salt": MANGO_SALT,
            }
        )
        cls.rostelecom = Provider.create(
            {
                "name": "Rostelecom",
                "code": "rostelecom",
                "rostelecom_client_id": RT_CLIENT,
                "rostelecom_sign_key": RT_KEY,
            }
        )
        cls.kazoo = Provider.create(
            {
                "name": "Kazoo",
                "code": "kazoo",
                "kazoo_api_url": KAZOO_API + "/v2/",
                "kazoo_account_id": KAZOO_ACCOUNT,
                "kazoo_api_key": KAZOO_KEY,
            }
        )
        cls.freeswitch = Provider.create(
            {
                "name": "FreeSWITCH",
                "code": "freeswitch",
                "recording_folder": FS_FOLDER + "/",
                "recording_base_url": FILES_URL + "/",
                "recording_username": "odoo",
                "recording_password": "s3cret",
            }
        )

    def recorded_call(self, call_id, recording_url):
        """A call of the generic center, answered by agent A, whose end
        carries the recording's link."""
        common = {"from_": "0903555111", "to": "+842838123456", "agent": "101"}
        self.feed(
            [
                self.center.event("call.ringing", call_id, **common),
                self.center.event("call.answered", call_id, **common),
                self.center.event(
                    "call.ended", call_id, recording_url=recording_url, **common
                ),
            ]
        )
        return self.get_call(call_id)

    def provider_call(self, provider, **vals):
        return (
            self.env["crm.callcenter.call"]
            .sudo()
            .create(
                {
                    "provider_id": provider.id,
                    "company_id": provider.company_id.id,
                    "external_call_id": f"{provider.code}-rec",
                    "direction": "inbound",
                    "state": "ended",
                    "user_id": self.agent.id,
                    **vals,
                }
            )
        )

    def play(self, call, login="cc_agent_a", headers=None):
        self.authenticate(login, login)
        return self.url_open(
            PATH.format(call.id), headers=headers, allow_redirects=False
        )

    def faked(self):
        """The providers' APIs, faked; this server stays reachable."""
        fake = responses.RequestsMock()
        fake.add_passthru(self.base_url())
        return fake

    # -- links the center reported --------------------------------------------

    def test_the_centers_link_for_whoever_may_read_the_call(self):
        call = self.recorded_call("rec-1", PBX_LINK)
        self.assertTrue(call.has_recording)

        for login in ("cc_agent_a", "cc_manager"):
            response = self.play(call, login)
            self.assertEqual(response.status_code, 303, response.text)
            self.assertEqual(response.headers["Location"], PBX_LINK)

        # Another agent's call: as if it did not exist.
        response = self.play(call, "cc_agent_b")
        self.assertEqual(response.status_code, 404)
        self.assertNotIn("pbx.example.com", response.text)
        self.assertEqual(self.play(call.browse(10**9)).status_code, 404)

        self.logout()
        response = self.url_open(PATH.format(call.id), allow_redirects=False)
        self.assertIn("/web/login", response.headers.get("Location", ""))

    def test_no_recording_no_player(self):
        call = self.recorded_call("rec-2", "")
        self.assertFalse(call.has_recording)
        response = self.play(call)
        self.assertEqual(response.status_code, 404)
        self.assertIn("no recording", response.text)
        # What is not a web link is never one the browser is sent to.
        for link in ("javascript:alert(1)", "file:///etc/passwd", "/web/login"):
            call.sudo().recording_url = link
            self.assertFalse(call.has_recording, link)
            self.assertEqual(self.play(call).status_code, 404, link)

    # -- Twilio: relayed with the account's credentials --------------------------

    def test_twilio_media_relayed_with_the_account_credentials(self):
        call = self.provider_call(self.twilio, recording_url=TWILIO_RECORDING)
        self.assertTrue(call.has_recording)
        with self.faked() as fake:
            fake.add(
                responses.GET,
                TWILIO_RECORDING + ".mp3",
                body=AUDIO[100:200],
                status=206,
                headers={
                    "Content-Range": f"bytes 100-199/{len(AUDIO)}",
                    "Accept-Ranges": "bytes",
                },
                content_type="audio/mpeg",
            )
            response = self.play(call, headers={"Range": "bytes=100-199"})
            (sent,) = [c.request for c in fake.calls if "twilio" in c.request.url]
        self.assertEqual(response.status_code, 206, response.text)
        self.assertEqual(response.content, AUDIO[100:200])
        self.assertEqual(response.headers["Content-Type"], "audio/mpeg")
        self.assertEqual(
            response.headers["Content-Range"], f"bytes 100-199/{len(AUDIO)}"
        )
        # The player seeks: the range goes to Twilio, with the credentials
        # "HTTP auth for media" wants; the browser never sees them.
        self.assertEqual(sent.headers["Range"], "bytes=100-199")
        credentials = base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode())
        self.assertEqual(sent.headers["Authorization"], "Basic " + credentials.decode())
        self.assertNotIn(TWILIO_TOKEN, str(response.headers))

    def test_twilio_refusal_or_silence_is_told(self):
        call = self.provider_call(self.twilio, recording_url=TWILIO_RECORDING)
        for answer, expected in (
            ({"status": 404, "json": {"code": 20404}}, "HTTP 404"),
            ({"body": requests.ConnectTimeout()}, "cannot be downloaded"),
        ):
            with self.subTest(expected=expected), self.faked() as fake:
                fake.add(responses.GET, TWILIO_RECORDING + ".mp3", **answer)
                response = self.play(call)
            self.assertEqual(response.status_code, 502)
            self.assertIn(expected, response.text)

    def test_twilio_credentials_only_go_to_twilio(self):
        link = "https://media.example.com/recordings/RE1.mp3"
        call = self.provider_call(self.twilio, recording_url=link)
        with self.faked() as fake:
            response = self.play(call)
            self.assertFalse([c for c in fake.calls if "example.com" in c.request.url])
        self.assertEqual(response.status_code, 303)
        self.assertEqual(response.headers["Location"], link)

    # -- Zadarma: a signed request for a short-lived link -------------------------

    def test_zadarma_link_asked_when_played(self):
        call = self.provider_call(self.zadarma, recording_id="1715670903.1234567")
        self.assertTrue(call.has_recording)
        link = "https://api.zadarma.com/v1/pbx/record/download/NzE1/1.mp3"
        with self.faked() as fake:
            fake.add(
                responses.GET,
                ZADARMA_RECORD_URL,
                json={
                    "status": "success",
                    "link": link,
                    "lifetime_till": "2026-12-07 20:00:00",
                },
            )
            response = self.play(call)
            (sent,) = [c.request for c in fake.calls if "zadarma" in c.request.url]
        self.assertEqual(response.status_code, 303, response.text)
        self.assertEqual(response.headers["Location"], link)
        query = urlsplit(sent.url).query
        params = {k: v[0] for k, v in parse_qs(query).items()}
        self.assertEqual(params["call_id"], "1715670903.1234567")
        self.assertEqual(params["format"], "json")
        # Zadarma's algorithm, written here independently of the adapter.
        ordered = urlencode(sorted(params.items()))
        text = (
            "/v1/pbx/record/request/"
            + ordered
            + hashlib.md5(ordered.encode()).hexdigest()
        )
        digest = hmac.new(ZADARMA_SECRET.encode(), text.encode(), hashlib.sha1)
        signature = base64.b64encode(digest.hexdigest().encode()).decode()
        self.assertEqual(sent.headers["Authorization"], f"{ZADARMA_KEY}:{signature}")

    def test_zadarma_refusal_is_told(self):
        call = self.provider_call(self.zadarma, recording_id="1715670903.1234567")
        for answer, expected in (
            (
                {"json": {"status": "error", "message": "Record not found"}},
                "Record not found",
            ),
            (
                {
                    "status": 401,
                    "json": {"status": "error", "message": "Not authorized"},
                },
                "HTTP 401",
            ),
            ({"body": requests.ReadTimeout()}, "did not answer"),
        ):
            with self.subTest(expected=expected), self.faked() as fake:
                fake.add(responses.GET, ZADARMA_RECORD_URL, **answer)
                response = self.play(call)
            self.assertEqual(response.status_code, 502)
            self.assertIn(expected, response.text)

    # -- Mango Office: a signed query answered by a redirect -----------------------

    def test_mango_download_link_from_its_redirect(self):
        call = self.provider_call(self.mango, recording_id="MToxMDA1NzU5Mzox")
        link = "https://files.mango-office.ru/recording/one-shot/abc.mp3"
        with self.faked() as fake:
            fake.add(
                responses.POST, MANGO_QUERY_URL, status=302, headers={"Location": link}
            )
            response = self.play(call)
            (sent,) = [c.request for c in fake.calls if "mango" in c.request.url]
        self.assertEqual(response.status_code, 303, response.text)
        self.assertEqual(response.headers["Location"], link)
        form = {k: v[0] for k, v in parse_qs(sent.body.decode()).items()}
        self.assertEqual(
            json.loads(form["json"]),
            {"recording_id": "MToxMDA1NzU5Mzox", "action": "download"},
        )
        self.assertEqual(form["vpbx_api_key"], MANGO_KEY)
        expected_sign = hashlib.sha256(
            (MANGO_KEY + form["json"] + MANGO_SALT).encode()
        ).hexdigest()
        self.assertEqual(form["sign"], expected_sign)

        with self.faked() as fake:
            fake.add(responses.POST, MANGO_QUERY_URL, status=401)
            response = self.play(call)
        self.assertEqual(response.status_code, 502)
        self.assertIn("refused the API key", response.text)

    # -- Rostelecom: a link for one download from Odoo, asked at each play ----------

    def test_rostelecom_link_asked_each_time_and_relayed(self):
        call = self.provider_call(
            self.rostelecom,
            recording_id="SDB0D6D2C0A1D5F9A",
            # What the details cron kept: used once already, and bound to
            # Odoo's address; never the browser's to follow.
            recording_url="https://records.cloudpbx.rt.ru/once/old.mp3",
        )
        self.assertTrue(call.has_recording)
        with self.faked() as fake:
            for link in (RT_LINK, RT_LINK + "?2"):
                fake.add(
                    responses.POST,
                    RT_GET_RECORD,
                    json={"result": "0", "resultMessage": "", "url": link},
                )
            fake.add(responses.GET, RT_LINK, body=AUDIO, content_type="audio/mpeg")
            fake.add(
                responses.GET,
                RT_LINK + "?2",
                body=AUDIO[10:20],
                status=206,
                headers={"Content-Range": f"bytes 10-19/{len(AUDIO)}"},
                content_type="audio/mpeg",
            )
            first = self.play(call)
            seek = self.play(call, headers={"Range": "bytes=10-19"})
            asked = [c.request for c in fake.calls if c.request.url == RT_GET_RECORD]
            fetched = [c.request.url for c in fake.calls if "records." in c.request.url]
        self.assertEqual(first.status_code, 200, first.text)
        self.assertEqual(first.content, AUDIO)
        self.assertEqual(seek.status_code, 206, seek.text)
        self.assertEqual(seek.content, AUDIO[10:20])
        # One fresh link per request, the stored one never used.
        self.assertEqual(fetched, [RT_LINK, RT_LINK + "?2"])
        self.assertEqual(len(asked), 2)
        sent = asked[0]
        self.assertEqual(json.loads(sent.body), {"session_id": "SDB0D6D2C0A1D5F9A"})
        self.assertEqual(sent.headers["X-Client-ID"], RT_CLIENT)
        expected = hashlib.sha256(RT_CLIENT.encode() + sent.body + RT_KEY.encode())
        self.assertEqual(sent.headers["X-Client-Sign"], expected.hexdigest())
        self.assertNotIn("records.cloudpbx", str(first.headers))

    def test_rostelecom_refusal_is_told(self):
        call = self.provider_call(self.rostelecom, recording_id="SDB0D6D2C0A1D5F9A")
        for answer, expected in (
            (
                {"json": {"result": "5", "resultMessage": "record not found"}},
                "record not found",
            ),
            ({"status": 403, "body": "forbidden"}, "signing key was refused"),
            ({"body": requests.ReadTimeout()}, "no answer in time"),
            ({"json": {"result": "0", "url": "ftp://x/y.mp3"}}, "without a link"),
        ):
            with self.subTest(expected=expected), self.faked() as fake:
                fake.add(responses.POST, RT_GET_RECORD, **answer)
                response = self.play(call)
            self.assertEqual(response.status_code, 502)
            self.assertIn(expected, response.text)
        self.rostelecom.rostelecom_sign_key = False
        response = self.play(call)
        self.assertEqual(response.status_code, 502)
        self.assertIn("signing key are not set", response.text)

    # -- Kazoo: Crossbar's media behind an auth token ---------------------------------

    def test_kazoo_media_relayed_with_an_auth_token(self):
        call = self.provider_call(self.kazoo, recording_id="202612-c0ffee")
        self.assertTrue(call.has_recording)
        with self.faked() as fake:
            fake.add(
                responses.PUT,
                f"{KAZOO_API}/v2/api_auth",
                json={"auth_token": KAZOO_TOKEN, "data": {}},
                status=201,
            )
            fake.add(responses.GET, KAZOO_MEDIA, body=AUDIO, content_type="audio/mpeg")
            response = self.play(call)
            (auth,) = [c.request for c in fake.calls if "api_auth" in c.request.url]
            (media,) = [c.request for c in fake.calls if c.request.url == KAZOO_MEDIA]
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.content, AUDIO)
        self.assertEqual(json.loads(auth.body), {"data": {"api_key": KAZOO_KEY}})
        self.assertEqual(media.headers["X-Auth-Token"], KAZOO_TOKEN)
        self.assertEqual(media.headers["Accept"], "audio/mpeg")
        self.assertNotIn(KAZOO_TOKEN, str(response.headers))

    def test_kazoo_token_follows_no_redirect(self):
        """A token sent to wherever Kazoo points would leak the account."""
        call = self.provider_call(self.kazoo, recording_id="202612-c0ffee")
        with self.faked() as fake:
            fake.add(
                responses.PUT,
                f"{KAZOO_API}/v2/api_auth",
                json={"auth_token": KAZOO_TOKEN},
                status=201,
            )
            fake.add(
                responses.GET,
                KAZOO_MEDIA,
                status=302,
                headers={"Location": "https://kazoo.example.com:8443/elsewhere"},
            )
            response = self.play(call)
            followed = [c for c in fake.calls if "elsewhere" in c.request.url]
        self.assertEqual(response.status_code, 502)
        self.assertIn("HTTP 302", response.text)
        self.assertFalse(followed)

    def test_kazoo_refusal_is_told(self):
        call = self.provider_call(self.kazoo, recording_id="202612-c0ffee")
        with self.faked() as fake:
            fake.add(responses.PUT, f"{KAZOO_API}/v2/api_auth", status=401)
            response = self.play(call)
        self.assertEqual(response.status_code, 502)
        self.assertIn("refused the API key", response.text)
        with self.faked() as fake:
            fake.add(
                responses.PUT,
                f"{KAZOO_API}/v2/api_auth",
                json={"auth_token": KAZOO_TOKEN},
                status=201,
            )
            fake.add(responses.GET, KAZOO_MEDIA, status=404, json={"error": "404"})
            response = self.play(call)
        self.assertEqual(response.status_code, 502)
        self.assertIn("HTTP 404", response.text)
        # Only a storage link (no media id): the browser goes there.
        link = "https://storage.example.com/kazoo/rec.mp3"
        call.sudo().write({"recording_id": False, "recording_url": link})
        response = self.play(call)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(response.headers["Location"], link)

    # -- A self-hosted PBX: files served by its web server ---------------------------

    def test_pbx_file_relayed_from_the_folders_web_server(self):
        path = f"{FS_FOLDER}/2026/12/07/77645a4f né.wav"
        call = self.provider_call(self.freeswitch, recording_id=path)
        self.assertTrue(call.has_recording)
        url = f"{FILES_URL}/2026/12/07/77645a4f%20n%C3%A9.wav"
        with self.faked() as fake:
            fake.add(responses.GET, url, body=AUDIO, content_type="audio/wav")
            response = self.play(call)
            (sent,) = [c.request for c in fake.calls if "files.pbx" in c.request.url]
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.content, AUDIO)
        self.assertEqual(response.headers["Content-Type"], "audio/wav")
        credentials = base64.b64encode(b"odoo:s3cret").decode()
        self.assertEqual(sent.headers["Authorization"], "Basic " + credentials)
        self.assertNotIn("files.pbx", str(response.headers))

        # A name relative to the folder; no password set: none sent.
        self.freeswitch.write({"recording_username": False})
        call.sudo().recording_id = "2026/12/07/b.wav"
        with self.faked() as fake:
            fake.add(responses.GET, f"{FILES_URL}/2026/12/07/b.wav", body=AUDIO)
            response = self.play(call)
            (sent,) = [c.request for c in fake.calls if "files.pbx" in c.request.url]
        self.assertEqual(response.status_code, 200, response.text)
        self.assertNotIn("Authorization", sent.headers)

    def test_pbx_file_outside_the_folder_is_refused(self):
        call = self.provider_call(self.freeswitch, recording_id="/etc/passwd")
        for path in (
            "/etc/passwd",
            f"{FS_FOLDER}/../../../../etc/passwd",
            f"{FS_FOLDER}-other/a.wav",
            "../secret.wav",
            f"{FS_FOLDER}",
        ):
            call.sudo().recording_id = path
            with self.subTest(path=path), self.faked() as fake:
                response = self.play(call)
                self.assertFalse(fake.calls)
            self.assertEqual(response.status_code, 502)
            self.assertIn("not in the recordings folder", response.text)

    def test_pbx_file_without_a_recordings_url_is_told(self):
        self.freeswitch.recording_base_url = False
        call = self.provider_call(self.freeswitch, recording_id=f"{FS_FOLDER}/a.wav")
        response = self.play(call)
        self.assertEqual(response.status_code, 502)
        self.assertIn("URL its recordings folder is served at", response.text)
        with self.faked() as fake:
            self.freeswitch.recording_base_url = FILES_URL
            fake.add(responses.GET, f"{FILES_URL}/a.wav", status=401)
            response = self.play(call)
        self.assertEqual(response.status_code, 502)
        self.assertIn("HTTP 401", response.text)

    def test_missing_credentials_are_told(self):
        self.zadarma.zadarma_api_secret = False
        call = self.provider_call(self.zadarma, recording_id="1715670903.1234567")
        response = self.play(call)
        self.assertEqual(response.status_code, 502)
        self.assertIn("API key and secret", response.text)

    def test_player_on_the_call_form(self):
        """The agent's call form plays the recording through Odoo, and says
        so when the center does not give it."""
        self.zadarma.zadarma_api_secret = False
        call = self.provider_call(self.zadarma, recording_id="1715670903.1234567")
        src = PATH.format(call.id)
        code = (
            f"const src = {json.dumps(src)};"
            + """
            const deadline = Date.now() + 20000;
            const check = () => {
                const audio = document.querySelector('.o_crm_callcenter_recording audio');
                const link = document.querySelector('.o_crm_callcenter_recording_link');
                if (audio && !audio.dataset.tried) {
                    if (audio.getAttribute('src') !== src
                            || link.getAttribute('href') !== src) {
                        console.error('the player does not play through Odoo: '
                            + audio.getAttribute('src'));
                        return;
                    }
                    audio.dataset.tried = '1';
                    audio.play().catch(() => {});
                }
                if (document.querySelector('.o_crm_callcenter_recording_error')) {
                    console.log('test successful');
                } else if (Date.now() > deadline) {
                    console.error('no player, or no error shown: '
                        + document.body.innerText.slice(0, 600));
                } else {
                    setTimeout(check, 100);
                }
            };
            check();
        """
        )
        self.browser_js(
            f"/odoo/action-crm_callcenter.crm_callcenter_call_action/{call.id}",
            code,
            login="cc_agent_a",
        )

    def test_listen_from_the_call_list(self):
        call = self.recorded_call("rec-3", PBX_LINK)
        action = call.with_user(self.agent).action_open_recording()
        self.assertEqual(action["url"], PATH.format(call.id))
        self.assertEqual(action["target"], "new")
        silent = self.recorded_call("rec-4", "")
        with self.assertRaises(UserError):
            silent.with_user(self.agent).action_open_recording()
        arch = self.env["crm.callcenter.call"].get_views([(False, "list")])["views"]
        self.assertIn("action_open_recording", arch["list"]["arch"])
