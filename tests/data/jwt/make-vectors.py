#!/usr/bin/env python3
"""Regenerate vectors.txt: JWTs made outside the C code under test.

HS256 with Python's hmac/hashlib, RS256 and ES256 with the openssl
command line (`openssl dgst -sha256 -sign`), so test_jwt.c checks the
verifier against tokens that no pairstore code produced.  Keys are the
TEST-ONLY keys in this directory.  Run from this directory:

    python3 make-vectors.py > vectors.txt

ES256 signatures are randomised, so a rerun changes those lines; the
RS256 and HS256 ones are deterministic.
"""
import base64
import hashlib
import hmac
import json
import subprocess
import sys

NOW = 1700000000
HS256_SECRET = b"pairstore-test-only-hs256-secret-0123456789"


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def seg(obj):
    return b64u(json.dumps(obj, separators=(",", ":")).encode("utf-8"))


def signing_input(header, claims):
    return seg(header) + "." + seg(claims)


def hs256(header, claims, key=HS256_SECRET):
    si = signing_input(header, claims)
    mac = hmac.new(key, si.encode("ascii"), hashlib.sha256).digest()
    return si + "." + b64u(mac)


def openssl_sign(keyfile, data):
    return subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", keyfile],
        input=data, stdout=subprocess.PIPE, check=True).stdout


def rs256(header, claims):
    si = signing_input(header, claims)
    return si + "." + b64u(openssl_sign("test-rsa-private.pem",
                                        si.encode("ascii")))


def der_int(buf, i):
    assert buf[i] == 0x02
    n = buf[i + 1]
    return int.from_bytes(buf[i + 2:i + 2 + n], "big"), i + 2 + n


def es256(header, claims, raw=True):
    si = signing_input(header, claims)
    der = openssl_sign("test-ec-private.pem", si.encode("ascii"))
    if not raw:
        return si + "." + b64u(der)
    # DER SEQUENCE { INTEGER r, INTEGER s } -> 32-byte R || S
    # (RFC 7518, section 3.4).  P-256 signatures fit short-form lengths.
    assert der[0] == 0x30 and der[1] < 0x80
    r, i = der_int(der, 2)
    s, _ = der_int(der, i)
    return si + "." + b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def claims(sub, **kw):
    c = {"sub": sub, "iat": NOW - 60, "exp": NOW + 600}
    c.update(kw)
    return c


def main():
    pubpem = open("test-rsa-public.pem", "rb").read()
    ecpem = open("test-ec-public.pem", "rb").read()
    hs = {"alg": "HS256", "typ": "JWT"}
    rs = {"alg": "RS256", "typ": "JWT"}
    es = {"alg": "ES256", "typ": "JWT"}
    none = {"alg": "none", "typ": "JWT"}
    rs_valid = rs256(rs, claims("bob"))
    si, _, sig = rs_valid.rpartition(".")
    hdr, _, _ = si.partition(".")
    tampered = hdr + "." + seg(claims("mallory")) + "." + sig
    rows = [
        ("hs256_python_valid", "hs256", "ok:alice",
         hs256(hs, claims("alice"))),
        ("hs256_python_float_exp_valid", "hs256", "ok:alice.b",
         hs256(hs, claims("alice.b", exp=NOW + 0.5))),
        ("hs256_python_expired", "hs256", "auth",
         hs256(hs, claims("alice", exp=NOW - 3600))),
        ("hs256_python_wrong_secret", "hs256", "auth",
         hs256(hs, claims("alice"), key=b"x" * 32)),
        ("none_python_unsigned", "hs256", "auth",
         signing_input(none, claims("alice")) + "."),
        ("rs256_openssl_valid", "rs256", "ok:bob", rs_valid),
        ("rs256_openssl_payload_swapped", "rs256", "auth", tampered),
        ("rs256_openssl_given_to_hs256", "hs256", "auth", rs_valid),
        ("confusion_hs256_keyed_with_rsa_pem", "rs256", "auth",
         hs256(hs, claims("mallory"), key=pubpem)),
        ("confusion_hs256_keyed_with_ec_pem", "es256", "auth",
         hs256(hs, claims("mallory"), key=ecpem)),
        ("es256_openssl_raw_valid", "es256", "ok:carol-1",
         es256(es, claims("carol-1"))),
        ("es256_openssl_der_refused", "es256", "auth",
         es256(es, claims("carol-1"), raw=False)),
        ("rs256_openssl_given_to_es256", "es256", "auth", rs_valid),
    ]
    out = sys.stdout
    out.write("# JWT test vectors made by make-vectors.py, not pairstore.\n")
    out.write("# name key-config now expect token\n")
    out.write("# expect: ok:<sub> (accepted, sub) or auth (PS_E_AUTH)\n")
    for name, key, expect, token in rows:
        out.write("%s %s %d %s %s\n" % (name, key, NOW, expect, token))


if __name__ == "__main__":
    main()
