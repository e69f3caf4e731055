using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Snapcat.Nbd.Client;

/// <summary>
/// The credentials an NBD client uses once it has asked for TLS (NBD_OPT_STARTTLS, spec §3.12):
/// either a pre-shared key (GnuTLS/nbdkit's <c>--tls-psk</c> scheme: a username and its key) or
/// X.509, where the server's certificate is checked against CA certificates and/or a pinned SHA-256
/// fingerprint and a client certificate is shown when the server asks for one. Built from a
/// configuration by <see cref="NbdClientTlsConfig.Resolve"/>, or directly by tests.
/// </summary>
public sealed record NbdClientTls
{
    private NbdClientTls() { }

    /// <summary>The PSK username (the identity the server sees), or null for X.509.</summary>
    public string? PskUsername { get; private init; }

    /// <summary>The PSK itself; null for X.509.</summary>
    public byte[]? PskKey { get; private init; }

    /// <summary>The psktool-format file the key came from, for tools that read it themselves (nbdfuse).</summary>
    public string? PskFile { get; init; }

    /// <summary>CA certificates the server's chain must end in; empty: only a pin or the system store.</summary>
    public X509Certificate2Collection CaCertificates { get; private init; } = [];

    /// <summary>The file <see cref="CaCertificates"/> came from, for libnbd's certificate directory.</summary>
    public string? CaFile { get; init; }

    /// <summary>SHA-256 of the server certificate (DER), 32 bytes, when pinned.</summary>
    public byte[]? PinnedSha256 { get; private init; }

    /// <summary>A client certificate with its private key, shown to servers that ask for one.</summary>
    public X509Certificate2? ClientCertificate { get; private init; }

    /// <summary>The PEM files of <see cref="ClientCertificate"/>, for libnbd's certificate directory.</summary>
    public string? CertificateFile { get; init; }
    public string? KeyFile { get; init; }

    /// <summary>The name the server certificate must carry; default: the host of the data port address.</summary>
    public string? ServerName { get; init; }

    public bool IsPsk => PskKey is not null;

    /// <summary>
    /// What an array sees as this client's identity for LUN masking: the PSK username, or the client
    /// certificate's subject as .NET writes it (e.g. <c>CN=host1, O=site</c>); null when X.509 is used
    /// without a client certificate (the server then cannot tell who connects).
    /// </summary>
    public string? Identity => PskUsername ?? ClientCertificate?.Subject;

    public static NbdClientTls Psk(string username, byte[] key)
    {
        ArgumentException.ThrowIfNullOrEmpty(username);
        ArgumentNullException.ThrowIfNull(key);
        if (Encoding.UTF8.GetByteCount(username) > 255)
            throw new ArgumentException($"PSK username '{username}' is longer than 255 bytes", nameof(username));
        if (key.Length == 0) throw new ArgumentException("a PSK must not be empty", nameof(key));
        return new NbdClientTls { PskUsername = username, PskKey = key };
    }

    /// <param name="caCertificates">trust anchors for the server's chain; null or empty: none of our own</param>
    /// <param name="pinnedSha256">the server certificate's SHA-256, 32 bytes; when given it must match</param>
    /// <param name="clientCertificate">shown when the server asks (it must hold its private key)</param>
    public static NbdClientTls X509(X509Certificate2Collection? caCertificates = null, byte[]? pinnedSha256 = null, X509Certificate2? clientCertificate = null)
    {
        if (pinnedSha256 is not null && pinnedSha256.Length != SHA256.HashSizeInBytes)
            throw new ArgumentException($"a SHA-256 fingerprint has {SHA256.HashSizeInBytes} bytes, not {pinnedSha256.Length}", nameof(pinnedSha256));
        if (clientCertificate is not null && !clientCertificate.HasPrivateKey)
            throw new ArgumentException($"the client certificate {clientCertificate.Subject} comes without its private key", nameof(clientCertificate));
        return new NbdClientTls { CaCertificates = caCertificates ?? [], PinnedSha256 = pinnedSha256, ClientCertificate = clientCertificate };
    }

    /// <summary>SHA-256 of a certificate as colon-separated upper-case hex, the form <c>openssl x509 -fingerprint -sha256</c> prints.</summary>
    public static string Fingerprint(X509Certificate2 certificate) => FormatFingerprint(certificate.GetCertHash(HashAlgorithmName.SHA256));

    public static string FormatFingerprint(byte[] sha256) => string.Join(':', sha256.Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>
    /// Reads a SHA-256 fingerprint written as 64 hex digits, with or without ':' (or spaces) between
    /// the bytes and with an optional <c>sha256:</c> / <c>SHA256 Fingerprint=</c> prefix; null if it is not one.
    /// </summary>
    public static byte[]? ParseFingerprint(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        string t = text.Trim();
        int eq = t.LastIndexOf('=');
        if (eq >= 0) t = t[(eq + 1)..];
        if (t.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase)) t = t[7..];
        t = t.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        if (t.Length != 2 * SHA256.HashSizeInBytes || !t.All(Uri.IsHexDigit)) return null;
        return Convert.FromHexString(t);
    }

    public override string ToString() => IsPsk
        ? $"TLS-PSK as '{PskUsername}'"
        : $"TLS X.509 ({(PinnedSha256 is null ? "" : "pinned fingerprint, ")}{CaCertificates.Count} CA certificate(s){(ClientCertificate is null ? "" : $", client certificate {ClientCertificate.Subject}")})";
}
