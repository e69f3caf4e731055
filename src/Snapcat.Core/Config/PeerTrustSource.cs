using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Snapcat.Core.Errors;
using Snapcat.Core.Tls;

namespace Snapcat.Core.Config;

/// <summary>
/// Reads the certificate check of a remote endpoint (<see cref="PeerEndpointConfig"/>): <c>fingerprint</c> must be a
/// SHA-256 fingerprint, <c>caFile</c> (relative to the configuration's folder) a readable PEM file of certificates,
/// and either only makes sense for an <c>https://</c> URL.
/// </summary>
public static class PeerTrustSource
{
    /// <param name="where">The endpoint in messages, e.g. <c>arrays.ARRAY-01</c>.</param>
    /// <param name="url">The endpoint's URL when it parsed, to refuse a check on a plain http:// URL.</param>
    /// <returns>The trust (null: the system's trust store, or a problem was added).</returns>
    public static PeerTrust? Read(PeerEndpointConfig endpoint, Uri? url, string where, string baseDir, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(problems);
        return Read(endpoint.CaFile, endpoint.Fingerprint, url, where, baseDir, problems);
    }

    public static PeerTrust? Read(string? caFile, string? fingerprint, Uri? url, string where, string baseDir, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        bool hasCa = !string.IsNullOrWhiteSpace(caFile), hasPin = !string.IsNullOrWhiteSpace(fingerprint);
        if (!hasCa && !hasPin) return null;
        if (url is not null && url.Scheme != Uri.UriSchemeHttps)
        {
            problems.Add($"{where}: {(hasPin ? "fingerprint" : "caFile")} is set but url {url} is not https://; a certificate check needs TLS");
            return null;
        }
        int before = problems.Count;
        byte[]? pin = null;
        if (hasPin && (pin = CertificateFingerprint.TryParse(fingerprint)) is null)
            problems.Add($"{where}.fingerprint '{fingerprint}' is not a SHA-256 fingerprint (64 hex digits, colons optional, e.g. AB:CD:…)");
        string? caPath = null;
        X509Certificate2Collection? cas = null;
        if (hasCa)
        {
            caPath = Path.GetFullPath(caFile!, baseDir);
            try
            {
                cas = LoadCaFile(caPath);
            }
            catch (SnapcatException ex)
            {
                problems.Add($"{where}.caFile: {ex.Message}");
            }
        }
        return problems.Count > before ? null : new PeerTrust(pin, caPath, cas);
    }

    /// <summary>
    /// <see cref="Read(PeerEndpointConfig, Uri?, string, string, List{string})"/> for an endpoint built in code or already
    /// checked by a loader (its caFile absolute): a problem is thrown as <c>config.invalid</c>.
    /// </summary>
    public static PeerTrust? Load(PeerEndpointConfig endpoint, Uri url, string where)
    {
        var problems = new List<string>();
        var trust = Read(endpoint, url, where, Environment.CurrentDirectory, problems);
        if (problems.Count > 0) Throw.Invalid("config.invalid", string.Join("; ", problems));
        return trust;
    }

    /// <summary>The certificates of a PEM file; an error naming the file when it is missing, unreadable or holds none.</summary>
    public static X509Certificate2Collection LoadCaFile(string path)
    {
        if (!File.Exists(path)) Throw.Invalid("config.tls_missing", $"CA file {path} does not exist");
        var cas = new X509Certificate2Collection();
        try
        {
            cas.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new SnapcatException(ErrorKind.Invalid, "config.tls_bad_pem", $"CA file {path} cannot be read as PEM certificates: {ex.Message}", ex);
        }
        if (cas.Count == 0) Throw.Invalid("config.tls_bad_pem", $"CA file {path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        return cas;
    }
}
