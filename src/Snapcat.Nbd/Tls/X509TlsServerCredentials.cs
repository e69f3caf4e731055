using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Snapcat.Nbd.Tls;

/// <summary>
/// TLS with certificates through <see cref="SslStream"/>: the server shows its certificate (PEM
/// certificate and key files); with a client CA, a client must present a certificate that chains to
/// it, and that certificate's subject (as .NET writes it, e.g. <c>CN=host1, O=site</c>) is its identity.
/// Without a client CA no client certificate is asked for and connections carry no identity.
/// </summary>
public sealed class X509TlsServerCredentials : INbdTlsServerCredentials, IDisposable
{
    private readonly X509Certificate2 _certificate;
    private readonly X509Certificate2Collection? _clientCa;
    private readonly SslStreamCertificateContext _context;

    public X509TlsServerCredentials(X509Certificate2 certificate, X509Certificate2Collection? clientCa)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey) throw new ArgumentException("the server certificate has no private key", nameof(certificate));
        _certificate = certificate;
        _clientCa = clientCa is { Count: > 0 } ? clientCa : null;
        _context = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true);
    }

    /// <summary>Loads PEM files; every failure names the file.</summary>
    public static X509TlsServerCredentials FromPemFiles(string certificateFile, string keyFile, string? clientCaFile)
    {
        X509Certificate2 cert;
        try { cert = X509Certificate2.CreateFromPemFile(certificateFile, keyFile); }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new InvalidDataException($"certificate {certificateFile} with key {keyFile}: cannot be loaded: {e.Message}", e);
        }
        X509Certificate2Collection? ca = null;
        if (clientCaFile is not null)
        {
            ca = [];
            try { ca.ImportFromPemFile(clientCaFile); }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                cert.Dispose();
                throw new InvalidDataException($"client CA file {clientCaFile}: cannot be loaded: {e.Message}", e);
            }
            if (ca.Count == 0)
            {
                cert.Dispose();
                throw new InvalidDataException($"client CA file {clientCaFile}: holds no certificate");
            }
        }
        return new X509TlsServerCredentials(cert, ca);
    }

    public string Kind => "x509";

    public async Task<NbdTlsSession> AuthenticateAsync(Stream transport, CancellationToken ct)
    {
        var ssl = new SslStream(transport, leaveInnerStreamOpen: false, ValidateClient);
        try
        {
            var options = new SslServerAuthenticationOptions
            {
                ServerCertificateContext = _context,
                ClientCertificateRequired = _clientCa is not null,
                // NBD spec §3.12: TLS 1.2 or later.
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            };
            await ssl.AuthenticateAsServerAsync(options, ct).ConfigureAwait(false);
            string? identity = null;
            if (_clientCa is not null)
            {
                // ValidateClient has already refused a missing or untrusted certificate.
                identity = ssl.RemoteCertificate is { } rc ? rc.Subject : throw new AuthenticationException("the client presented no certificate");
            }
            return new NbdTlsSession(ssl, identity, $"{ssl.SslProtocol} {ssl.NegotiatedCipherSuite}");
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private bool ValidateClient(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_clientCa is null) return true;  // no client certificate asked for
        if (certificate is null) return false;
        using var leaf = new X509Certificate2(certificate);
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_clientCa);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var e in chain.ChainElements)
                if (!e.Certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span)) custom.ChainPolicy.ExtraStore.Add(e.Certificate);
        }
        return custom.Build(leaf);
    }

    public void Dispose()
    {
        _certificate.Dispose();
        if (_clientCa is not null)
            foreach (var c in _clientCa) c.Dispose();
    }
}
