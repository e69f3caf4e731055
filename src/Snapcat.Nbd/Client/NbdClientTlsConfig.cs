using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Snapcat.Nbd.Tls;

namespace Snapcat.Nbd.Client;

/// <summary>
/// The <c>"nbdTls"</c> block of a configuration: how a Snapcat NBD client (the agent towards an
/// array's data ports, an array towards a peer's) proves itself and checks the server. Either PSK
/// <code>{ "pskFile": "nbd.psk", "username": "host1" }</code>
/// (a psktool-format file, the same one nbdkit, qemu and libnbd read), or X.509
/// <code>{ "caFile": "ca.pem", "fingerprint": "AB:CD:…", "certificateFile": "host1.pem", "keyFile": "host1.key" }</code>
/// with <c>caFile</c> and/or <c>fingerprint</c> (SHA-256 of the server certificate) and, for servers
/// that ask for one, a client certificate and key in PEM. <c>"mode": "off"</c> keeps the block but
/// connects in plain text; the default, <c>"require"</c>, never falls back to plain NBD.
/// Relative paths are relative to the configuration file's folder.
/// </summary>
public sealed record NbdClientTlsConfig
{
    public string? Mode { get; init; }
    public string? PskFile { get; init; }
    public string? Username { get; init; }
    public string? CaFile { get; init; }
    public string? Fingerprint { get; init; }
    public string? CertificateFile { get; init; }
    public string? KeyFile { get; init; }

    /// <summary>The name the server certificate must carry when the data port is reached under another (X.509 only).</summary>
    public string? ServerName { get; init; }

    /// <summary>
    /// Checks the block and reads its files. Returns the credentials, or null for <c>"mode": "off"</c>
    /// or after adding what is wrong to <paramref name="problems"/> (each naming <paramref name="where"/>,
    /// e.g. <c>arrays.ARRAY-01.nbdTls</c>), so that a loader can report every mistake at once.
    /// </summary>
    public NbdClientTls? Resolve(string where, string baseDir, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        string mode = (Mode ?? "require").Trim().ToLowerInvariant();
        if (mode == "off") return null;
        if (mode != "require")
        {
            problems.Add($"{where}.mode '{Mode}' is not valid: write \"require\" (the default) or \"off\"");
            return null;
        }

        bool psk = Has(PskFile) || Has(Username);
        bool x509 = Has(CaFile) || Has(Fingerprint) || Has(CertificateFile) || Has(KeyFile) || Has(ServerName);
        if (psk && x509)
        {
            problems.Add($"{where}: give either PSK (pskFile, username) or X.509 (caFile, fingerprint, certificateFile, keyFile), not both");
            return null;
        }
        if (!psk && !x509)
        {
            problems.Add($"{where} is empty: give {{ \"pskFile\": \"nbd.psk\", \"username\": \"host1\" }} or {{ \"caFile\": \"ca.pem\" }} / {{ \"fingerprint\": \"SHA-256 of the server certificate\" }}");
            return null;
        }
        return psk ? ResolvePsk(where, baseDir, problems) : ResolveX509(where, baseDir, problems);
    }

    private NbdClientTls? ResolvePsk(string where, string baseDir, List<string> problems)
    {
        if (!Has(PskFile)) problems.Add($"{where}.pskFile is missing: name the psktool-format key file (username:hexkey lines)");
        if (!Has(Username)) problems.Add($"{where}.username is missing: the PSK username this host presents (the array's identity for it)");
        if (!Has(PskFile) || !Has(Username)) return null;
        if (System.Text.Encoding.UTF8.GetByteCount(Username!) > 255)
        {
            problems.Add($"{where}.username is longer than 255 bytes (the TLS PSK identity limit here)");
            return null;
        }
        string path = Path.GetFullPath(PskFile!, baseDir);
        try
        {
            return NbdClientTls.Psk(Username!, PskKeyFile.ReadKey(path, Username!)) with { PskFile = path };
        }
        catch (InvalidDataException ex)
        {
            problems.Add($"{where}.pskFile: {ex.Message}");
            return null;
        }
    }

    private NbdClientTls? ResolveX509(string where, string baseDir, List<string> problems)
    {
        int before = problems.Count;
        if (!Has(CaFile) && !Has(Fingerprint))
            problems.Add($"{where}: say which server to trust with caFile (its CA in PEM) and/or fingerprint (SHA-256 of its certificate)");
        if (Has(CertificateFile) != Has(KeyFile))
            problems.Add($"{where}: certificateFile and keyFile go together (the client certificate and its private key, PEM)");

        byte[]? pin = null;
        if (Has(Fingerprint))
        {
            pin = NbdClientTls.ParseFingerprint(Fingerprint);
            if (pin is null)
                problems.Add($"{where}.fingerprint '{Fingerprint}' is not a SHA-256 fingerprint: 64 hex digits, with or without ':' between bytes");
        }

        X509Certificate2Collection ca = [];
        string? caPath = null;
        if (Has(CaFile))
        {
            caPath = Path.GetFullPath(CaFile!, baseDir);
            try
            {
                ca.ImportFromPemFile(caPath);
                if (ca.Count == 0) problems.Add($"{where}.caFile {caPath} holds no PEM certificate");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                problems.Add($"{where}.caFile {caPath} cannot be read as PEM certificates: {ex.Message}");
            }
        }

        X509Certificate2? client = null;
        string? certPath = null, keyPath = null;
        if (Has(CertificateFile) && Has(KeyFile))
        {
            certPath = Path.GetFullPath(CertificateFile!, baseDir);
            keyPath = Path.GetFullPath(KeyFile!, baseDir);
            try
            {
                client = X509Certificate2.CreateFromPemFile(certPath, keyPath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                problems.Add($"{where}: the client certificate {certPath} with key {keyPath} cannot be loaded: {ex.Message}");
            }
        }

        if (problems.Count > before) return null;
        return NbdClientTls.X509(ca, pin, client) with
        {
            CaFile = caPath,
            CertificateFile = certPath,
            KeyFile = keyPath,
            ServerName = Has(ServerName) ? ServerName!.Trim() : null,
        };
    }

    private static bool Has(string? s) => !string.IsNullOrWhiteSpace(s);
}
