using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Tls;
using Snapcat.Core.Errors;
using Snapcat.Nbd.Protocol;
using Snapcat.Nbd.Tls;

namespace Snapcat.Nbd.Client;

/// <summary>
/// NBD_OPT_STARTTLS (spec §3.12, option 5) and the TLS handshake that follows it. The option goes
/// out first, right after the greeting, before anything that names an export; the server answers
/// ACK and both sides start TLS on the same socket, then the option haggling continues inside TLS
/// (the handshake flags of the greeting still apply). X.509 runs on SslStream, PSK on BouncyCastle.
///
/// A server that answers STARTTLS with an error does not offer TLS: that is a refusal, never a fall
/// back to plain text, which is exactly what a downgrading man in the middle would try.
/// </summary>
internal static class NbdTlsUpgrade
{
    public static async Task<NbdOptionChannel> StartTlsAsync(NbdOptionChannel plain, NbdClientTls tls, CancellationToken ct)
    {
        var address = plain.Address;
        await plain.SendAsync(NbdOption.StartTls, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
        var r = await plain.ReadReplyAsync(NbdOption.StartTls, ct).ConfigureAwait(false);
        if (r.IsError)
        {
            string detail = r.Message.Length > 0 ? $" ({r.Message})" : "";
            throw new SnapcatException(ErrorKind.Remote, "nbd.tls_unavailable",
                $"the NBD server at {address} does not offer TLS: it answered NBD_OPT_STARTTLS with {r.Type}{detail}; " +
                "this client is configured to require TLS (nbdTls) and does not fall back to plain NBD");
        }
        if (r.Type != NbdOptionReplyType.Ack)
            throw new NbdProtocolException($"nbd server at {address} answered STARTTLS with reply type {(uint)r.Type}");

        Stream secured = tls.IsPsk
            ? await PskAsync(plain.Stream, address, tls, ct).ConfigureAwait(false)
            : await X509Async(plain.Stream, address, tls, ct).ConfigureAwait(false);
        return new NbdOptionChannel(secured, address, plain.NoZeroes) { IsTls = true };
    }

    private static async Task<Stream> PskAsync(Stream transport, NbdAddress address, NbdClientTls tls, CancellationToken ct)
    {
        var client = NbdPskTlsClient.Create(tls.PskUsername!, tls.PskKey!);
        try
        {
            return await BouncyTlsStream.ConnectAsync(transport, client, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or TlsException)
        {
            // GnuTLS (nbdkit) just hangs up when the key is wrong; BouncyCastle-based servers send
            // decrypt_error. Either way the likeliest cause is a key or username the server does not hold.
            string how = client.AlertReceived is { } alert ? $"the server sent the TLS alert '{alert}'" : ex.Message;
            throw new SnapcatException(ErrorKind.Unauthorized, "nbd.tls_failed",
                $"TLS-PSK handshake with the NBD server at {address} as '{tls.PskUsername}' failed ({how}); " +
                $"check that the server holds this username with the same key{(tls.PskFile is null ? "" : $" as {tls.PskFile}")}", ex);
        }
    }

    private static async Task<Stream> X509Async(Stream transport, NbdAddress address, NbdClientTls tls, CancellationToken ct)
    {
        string? refusal = null;
        var ssl = new SslStream(transport, leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = tls.ServerName ?? address.Host,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, cert, chain, errors) =>
            {
                refusal = CheckServerCertificate(address, tls, cert as X509Certificate2 ?? (cert is null ? null : new X509Certificate2(cert)), chain, errors);
                return refusal is null;
            },
        };
        if (tls.ClientCertificate is not null)
        {
            options.ClientCertificates = [tls.ClientCertificate];
            options.LocalCertificateSelectionCallback = (_, _, _, _, _) => tls.ClientCertificate;
        }
        try
        {
            await ssl.AuthenticateAsClientAsync(options, ct).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            if (refusal is not null)
                throw new SnapcatException(ErrorKind.Unauthorized, "nbd.tls_untrusted", $"the NBD server at {address} is not trusted: {refusal}", ex);
            throw new SnapcatException(ErrorKind.Unauthorized, "nbd.tls_failed",
                $"TLS handshake with the NBD server at {address} failed: {ex.Message}" +
                (ex.InnerException is { } inner ? $" ({inner.Message})" : "") +
                (tls.ClientCertificate is null ? "; if the server asks for a client certificate, configure certificateFile and keyFile" : ""), ex);
        }
    }

    /// <summary>Null when the server's certificate passes every check configured; else why not.</summary>
    internal static string? CheckServerCertificate(NbdAddress address, NbdClientTls tls, X509Certificate2? cert, X509Chain? presented, SslPolicyErrors errors)
    {
        if (cert is null) return "it presented no certificate";
        if (tls.PinnedSha256 is { } pin)
        {
            byte[] seen = cert.GetCertHash(HashAlgorithmName.SHA256);
            if (!CryptographicOperations.FixedTimeEquals(seen, pin))
                return $"its certificate ({cert.Subject}) has SHA-256 fingerprint {NbdClientTls.FormatFingerprint(seen)}, " +
                       $"but the configured fingerprint is {NbdClientTls.FormatFingerprint(pin)}";
            // A pin names the certificate itself: chain and name do not matter unless a CA is also configured.
            if (tls.CaCertificates.Count == 0) return null;
        }
        if (tls.CaCertificates.Count > 0)
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(tls.CaCertificates);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (presented is not null)
                foreach (var e in presented.ChainElements)
                    if (e.Certificate.Thumbprint != cert.Thumbprint) chain.ChainPolicy.ExtraStore.Add(e.Certificate);
            if (!chain.Build(cert))
            {
                string why = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
                return $"its certificate ({cert.Subject}, issued by {cert.Issuer}) does not chain to the configured CA " +
                       $"({string.Join(", ", tls.CaCertificates.Select(c => c.Subject))}){(why.Length > 0 ? $": {why}" : "")}";
            }
            errors &= ~(SslPolicyErrors.RemoteCertificateChainErrors);
        }
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            return $"its certificate ({cert.Subject}) is not issued for '{tls.ServerName ?? address.Host}' (set serverName if the array is reached under another name)";
        if (errors != SslPolicyErrors.None)
            return $"its certificate ({cert.Subject}, issued by {cert.Issuer}) failed validation ({errors}); configure caFile or fingerprint";
        return null;
    }
}
