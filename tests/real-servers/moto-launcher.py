"""moto_server for the real-server tier, with one routing fix.

moto's all-services server picks the service of an unsigned request from its body only
(moto/moto_server/werkzeug_app.py, infer_service_region_host), so pgBackRest's web-id call -- an unsigned
`GET https://sts.amazonaws.com/?Action=AssumeRoleWithWebIdentity&...` (src/storage/s3/storage.c,
storageS3AuthWebId), which AWS STS serves -- lands in S3. Route requests for the STS host names to STS; everything
else is moto's own dispatch.

Also end each TLS connection with close_notify, as a TLS server must: werkzeug's development server closes the
socket after every response (`Connection: close`) without a TLS shutdown, which OpenSSL 3 clients such as pgBackRest
report as "unexpected eof while reading" on body-less responses (an S3 PUT's 200).
"""
import sys

import socketserver
import ssl


from moto.moto_server import werkzeug_app
from moto.server import main

_infer = werkzeug_app.DomainDispatcherApplication.infer_service_region_host


def _infer_with_sts_host(self, environ, path):
    host = environ.get("HTTP_HOST", "").split(":")[0]
    if host == "sts.amazonaws.com" or (host.startswith("sts.") and host.endswith(".amazonaws.com")):
        if not environ.get("HTTP_AUTHORIZATION"):
            return "sts.us-east-1.amazonaws.com"
    return _infer(self, environ, path)


werkzeug_app.DomainDispatcherApplication.infer_service_region_host = _infer_with_sts_host

_shutdown_request = socketserver.TCPServer.shutdown_request


def _shutdown_request_with_close_notify(self, request):
    if isinstance(request, ssl.SSLSocket):
        try:
            request.settimeout(2)
            request.unwrap()
        except (ssl.SSLError, OSError, ValueError):
            pass
    _shutdown_request(self, request)


socketserver.TCPServer.shutdown_request = _shutdown_request_with_close_notify

if __name__ == "__main__":
    sys.exit(main())
