using System.Text;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace Snapcat.Nbd.Client;

/// <summary>
/// The TLS-PSK client side for BouncyCastle: TLS 1.3 with an external PSK (RFC 8446 §2.2, with an
/// (EC)DHE share, psk_dhe_ke) and TLS 1.2 PSK suites for servers without 1.3. Only AEAD suites are
/// offered; the set overlaps what GnuTLS (nbdkit, qemu-nbd) enables with its NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK
/// priority, and what Snapcat's own data ports accept.
/// </summary>
internal sealed class NbdPskTlsClient : PskTlsClient
{
    private static readonly int[] Suites =
    [
        // TLS 1.3 (the PSK decides the key schedule; the suite only names AEAD and hash)
        CipherSuite.TLS_AES_128_GCM_SHA256,
        CipherSuite.TLS_AES_256_GCM_SHA384,
        CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        // TLS 1.2, forward-secret first
        CipherSuite.TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_DHE_PSK_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_DHE_PSK_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_PSK_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_PSK_WITH_AES_256_GCM_SHA384,
    ];

    private readonly byte[] _identity;
    private readonly byte[] _key;

    private NbdPskTlsClient(TlsCrypto crypto, byte[] identity, byte[] key) : base(crypto, identity, key)
    {
        _identity = identity;
        _key = key;
    }

    public static NbdPskTlsClient Create(string username, byte[] key) =>
        new(new BcTlsCrypto(new SecureRandom()), Encoding.UTF8.GetBytes(username), key);

    /// <summary>The alert the server sent, if any (e.g. decrypt_error for a wrong key); for error messages.</summary>
    public string? AlertReceived { get; private set; }

    /// <summary>"TLS 1.3, TLS_AES_128_GCM_SHA256"-like text once the handshake has settled both.</summary>
    public string Negotiated => $"{_version}, suite 0x{_suite:x4}";

    private ProtocolVersion? _version;
    private int _suite;

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.TLSv13.DownTo(ProtocolVersion.TLSv12);

    protected override int[] GetSupportedCipherSuites() => TlsUtilities.GetSupportedCipherSuites(Crypto, Suites);

    /// <summary>TLS 1.3 has no PSK key exchange of 1.2's kind: the key is offered as an external PSK whose identity is the username.</summary>
    public override IList<TlsPskExternal> GetExternalPsks() =>
        [new BasicTlsPskExternal(_identity, Crypto.CreateSecret(_key), PrfAlgorithm.tls13_hkdf_sha256)];

    public override void NotifyAlertReceived(short alertLevel, short alertDescription)
    {
        base.NotifyAlertReceived(alertLevel, alertDescription);
        AlertReceived = AlertDescription.GetText(alertDescription);
    }

    public override void NotifyServerVersion(ProtocolVersion serverVersion)
    {
        base.NotifyServerVersion(serverVersion);
        _version = serverVersion;
    }

    public override void NotifySelectedCipherSuite(int selectedCipherSuite)
    {
        base.NotifySelectedCipherSuite(selectedCipherSuite);
        _suite = selectedCipherSuite;
    }
}
