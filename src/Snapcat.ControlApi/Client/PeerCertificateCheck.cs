using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Snapcat.Core.Errors;
using Snapcat.Core.Tls;

namespace Snapcat.ControlApi.Client;

/// <summary>
/// The one check of a control API's certificate, for every client of the three daemons and the CLI
/// (<see cref="ControlApiClient"/>). In order: the certificate must be inside its validity period; a pinned
/// fingerprint must match exactly (host name and chain are then not looked at: the pin is the identity, as in
/// Proxmox Backup Server); a CA file's certificates must be the chain's root and the host name must be one the
/// certificate names; with neither, the system's trust store decides. A refusal is thrown from the TLS handshake as
/// a <see cref="SnapcatException"/> (<c>CODE.tls_*</c>) that names what was expected and what the peer presented;
/// <see cref="ControlApiErrors.Unreachable"/> finds it inside the transport error.
/// </summary>
public sealed class PeerCertificateCheck
{
    private readonly PeerTrust? _trust;
    private readonly string _name, _code;
    private readonly TimeProvider _time;
    private readonly Uri? _url;

    /// <param name="name">The peer in messages ("array", "backup server").</param>
    /// <param name="code">The start of error codes ("array" → <c>array.tls_fingerprint_mismatch</c>).</param>
    /// <param name="url">The peer's URL, for messages.</param>
    public PeerCertificateCheck(PeerTrust? trust, string name, string code, Uri? url = null, TimeProvider? time = null)
    {
        (_trust, _name, _code, _url) = (trust, name, code, url);
        _time = time ?? TimeProvider.System;
    }

    /// <summary>A connection handler whose TLS handshakes go through this check.</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Validate },
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        ConnectCallback = DeadLinkDetection.ConnectAsync,
    };

    /// <summary>A handler for <paramref name="trust"/>, for tests and tools that send raw requests to a control API.</summary>
    public static SocketsHttpHandler CreateHandler(PeerTrust? trust, string name = "control API", string code = "peer") =>
        new PeerCertificateCheck(trust, name, code).CreateHandler();

    private bool Validate(object sender, X509Certificate? presented, X509Chain? chain, SslPolicyErrors errors)
    {
        string host = sender is SslStream s ? s.TargetHostName : "";
        string at = _url is not null ? $"the {_name} at {_url}" : host.Length == 0 ? $"the {_name}" : $"the {_name} at {host}";
        if (presented is null)
            throw Refuse("tls_no_certificate", $"{at} presented no TLS certificate");
        var cert = presented as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        string fingerprint = CertificateFingerprint.Show(cert);

        var now = _time.GetUtcNow().UtcDateTime;
        if (cert.NotAfter.ToUniversalTime() < now)
            throw Refuse("tls_expired", $"{at} presented a certificate that expired on {Utc(cert.NotAfter)} (valid from {Utc(cert.NotBefore)}, " +
                $"subject {cert.Subject}, fingerprint {fingerprint}); renew it on the peer (snapcat init --force writes a new one) and pin its new fingerprint");
        if (cert.NotBefore.ToUniversalTime() > now)
            throw Refuse("tls_not_yet_valid", $"{at} presented a certificate that is valid only from {Utc(cert.NotBefore)} (fingerprint {fingerprint}); check the clocks of both machines");

        if (_trust?.Fingerprint is { } pin)
        {
            if (!CertificateFingerprint.Of(cert).AsSpan().SequenceEqual(pin))
                throw Refuse("tls_fingerprint_mismatch", $"the certificate of {at} does not have the pinned SHA-256 fingerprint: " +
                    $"expected {CertificateFingerprint.Format(pin)}, the peer presented {fingerprint}. " +
                    "If the peer's certificate was renewed on purpose, pin its new fingerprint (snapcat init prints it); otherwise something else answers at this address");
            if (_trust.CaCertificates is null) return true;
        }

        if (_trust?.CaCertificates is { } cas)
        {
            using var built = new X509Chain();
            built.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            built.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            built.ChainPolicy.CustomTrustStore.AddRange(cas);
            if (chain is not null)
                foreach (var element in chain.ChainElements.Skip(1)) built.ChainPolicy.ExtraStore.Add(element.Certificate);
            if (!built.Build(cert))
            {
                string status = string.Join("; ", built.ChainStatus.Select(c => c.StatusInformation.Trim()).Where(t => t.Length > 0).Distinct());
                throw Refuse("tls_untrusted", $"{at} presented a certificate (subject {cert.Subject}, issuer {cert.Issuer}, fingerprint {fingerprint}) " +
                    $"that the CA file {_trust.CaFile} did not sign{(status.Length == 0 ? "" : $" ({status})")}; name the CA that issued the peer's certificate, or pin its fingerprint");
            }
            if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                throw Refuse("tls_name_mismatch", $"{at} presented a certificate for {Names(cert)}, which does not name '{host}'; " +
                    "use a URL with one of those names, or issue the peer a certificate that names this one");
            return true;
        }

        if (errors == SslPolicyErrors.None) return true;
        string why = (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0
            ? $"it names {Names(cert)}, not '{host}'"
            : "the system's trust store does not trust its issuer (" + cert.Issuer + ")";
        throw Refuse("tls_untrusted", $"{at} presented a certificate (subject {cert.Subject}, fingerprint {fingerprint}) that is refused: {why}; " +
            $"pin it with \"fingerprint\": \"{fingerprint}\" (or --fingerprint), or name its CA with \"caFile\" (or --ca-file)");
    }

    private SnapcatException Refuse(string what, string message) => new(ErrorKind.Remote, $"{_code}.{what}", message);

    private static string Utc(DateTime t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string Names(X509Certificate2 cert)
    {
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        var names = san is null ? [] : san.EnumerateDnsNames().Concat(san.EnumerateIPAddresses().Select(i => i.ToString())).ToList();
        return names.Count == 0 ? cert.Subject : string.Join(", ", names);
    }
}
