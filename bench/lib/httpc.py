"""(Adapted from the peer-measurement scripts.) Tiny HTTP/1.1 client (stdlib only) with a naive cookie jar and no
redirect following, used to drive the login/consent steps and to time
token requests over a keep-alive connection."""
import base64
import http.client
import json
import urllib.parse


class Client:
    def __init__(self, host, port, timeout=30):
        self.host, self.port, self.timeout = host, port, timeout
        self.conn = None
        self.cookies = {}

    def _connect(self):
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, headers=None, form=None, js=None,
                basic=None, send_cookies=True):
        hdrs = dict(headers or {})
        if form is not None:
            body = urllib.parse.urlencode(form)
            hdrs['Content-Type'] = 'application/x-www-form-urlencoded'
        elif js is not None:
            body = json.dumps(js)
            hdrs['Content-Type'] = 'application/json'
        if basic is not None:
            # RFC 6749 2.3.1: form-urlencode id and secret before base64
            u = urllib.parse.quote_plus(basic[0]); p = urllib.parse.quote_plus(basic[1])
            hdrs['Authorization'] = 'Basic ' + base64.b64encode(f'{u}:{p}'.encode()).decode()
        if send_cookies and self.cookies:
            hdrs['Cookie'] = '; '.join(f'{k}={v}' for k, v in self.cookies.items())
        for attempt in (0, 1):
            if self.conn is None:
                self._connect()
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest):
                self.close()
                if attempt:
                    raise
        for k, v in resp.getheaders():
            if k.lower() == 'set-cookie':
                nv = v.split(';', 1)[0]
                if '=' in nv:
                    n, val = nv.split('=', 1)
                    n = n.strip()
                    if val == '' or 'expires=thu, 01 jan 1970' in v.lower():
                        self.cookies.pop(n, None)
                    else:
                        self.cookies[n] = val
        if resp.getheader('Connection', '').lower() == 'close':
            self.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


def query_param(url, name):
    q = urllib.parse.urlsplit(url).query
    vals = urllib.parse.parse_qs(q).get(name)
    return vals[0] if vals else None


def path_of(url):
    s = urllib.parse.urlsplit(url)
    return s.path + ('?' + s.query if s.query else '')
