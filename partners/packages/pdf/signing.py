"""The signing certificate of case packages, and the PAdES signature (pyHanko).

The certificate and key come from the PKCS#12 file ``CUSTOS_SIGNING_P12`` (passphrase
``CUSTOS_SIGNING_PASSPHRASE``). Outside production, ``manage.py make_signing_cert`` writes a
self-signed development certificate there (``make run`` does when the file is missing).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from pyhanko.sign.signers import SimpleSigner

FIELD_NAME = "CustosPackageSignature"


def _passphrase() -> bytes | None:
    value = settings.CUSTOS_SIGNING_PASSPHRASE
    return value.encode("utf-8") if value else None


def make_development_certificate(
    path: Path, passphrase: str = "", common_name: str = "Custos development signing"
) -> Path:
    """Writes a self-signed signing certificate and its key as PKCS#12 to ``path``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Custos (development only)"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
        if passphrase
        else serialization.NoEncryption()
    )
    data = pkcs12.serialize_key_and_certificates(
        b"custos-signing", key, certificate, None, encryption
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    temporary.chmod(0o600)
    temporary.replace(path)
    return path


def _p12_path() -> Path:
    path = Path(settings.CUSTOS_SIGNING_P12)
    if not path.is_file():
        raise ImproperlyConfigured(
            f"The signing certificate {path} does not exist: set CUSTOS_SIGNING_P12 "
            "(outside production, run manage.py make_signing_cert)."
        )
    return path


def signer() -> SimpleSigner:
    """pyHanko's signer for the configured PKCS#12."""
    from pyhanko.sign import signers

    loaded = signers.SimpleSigner.load_pkcs12(str(_p12_path()), passphrase=_passphrase())
    if loaded is None:
        raise ImproperlyConfigured(
            "Could not read the signing certificate: check CUSTOS_SIGNING_P12 and "
            "CUSTOS_SIGNING_PASSPHRASE."
        )
    return loaded


def signing_certificate() -> Any:  # asn1crypto ships no types
    """The configured certificate (asn1crypto), the trust root of verification."""
    return signer().signing_cert


def sign(unsigned: BinaryIO, out: BinaryIO) -> None:
    """Signs ``unsigned`` (PAdES baseline B, SHA-256) with the configured certificate as an
    incremental update, written to ``out``: the unsigned bytes stay as they were."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    unsigned.seek(0)
    writer = IncrementalPdfFileWriter(unsigned, strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason="Case package issued by the War Crimes Unit",
    )
    signers.PdfSigner(meta, signer=signer()).sign_pdf(writer, output=out)
