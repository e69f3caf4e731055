using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Snapcat.Core.Errors;
using Snapcat.Nbd.Client;
using Snapcat.Nbd.Tls;
using Snapcat.TestKit;

namespace Snapcat.Nbd.Tests.Client;

/// <summary>
/// Snapcat's NBD client with STARTTLS against a real nbdkit (GnuTLS) with <c>--tls=require</c>: PSK
/// and X.509, data byte-exact, and every refusal a clear error before any byte of data moves.
/// Keys and certificates are made per test in its own folder.
/// </summary>
public sealed class NbdClientTlsTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static NbdClientOptions Psk(string file, string user) =>
        new() { Tls = NbdClientTls.Psk(user, PskKeyFile.ReadKey(file, user)) with { PskFile = file } };

    private static NbdClientOptions X509(X509Certificate2? ca = null, byte[]? pin = null, X509Certificate2? client = null) =>
        new() { Tls = NbdClientTls.X509(ca is null ? null : [ca], pin, client) };

    /// <summary>Writes, flushes, reads back and asks for extents: the whole transmission phase inside TLS.</summary>
    private static async Task AssertByteExactAsync(NbdClient c)
    {
        Assert.True(c.IsTls);
        Assert.Equal(64L << 20, c.Size);
        var data = RandomNumberGenerator.GetBytes((2 << 20) + 4096);
        await c.WriteAsync(1 << 20, data).AsTask().WaitAsync(Deadline);
        await c.FlushAsync().AsTask().WaitAsync(Deadline);
        var back = new byte[data.Length];
        await c.ReadAsync(1 << 20, back).AsTask().WaitAsync(Deadline);
        Assert.Equal(data, back);

        // Many requests in flight at once: the TLS stream carries one reader and one writer together.
        const int blocks = 32, size = 64 * 1024;
        var many = Enumerable.Range(0, blocks).Select(_ => RandomNumberGenerator.GetBytes(size)).ToArray();
        await Task.WhenAll(Enumerable.Range(0, blocks).Select(i => c.WriteAsync((8L << 20) + (long)i * size, many[i]).AsTask())).WaitAsync(Deadline);
        var reads = Enumerable.Range(0, blocks).Select(_ => new byte[size]).ToArray();
        await Task.WhenAll(Enumerable.Range(0, blocks).Select(i => c.ReadAsync((8L << 20) + (long)i * size, reads[i]).AsTask())).WaitAsync(Deadline);
        for (int i = 0; i < blocks; i++) Assert.Equal(many[i], reads[i]);

        Assert.NotNull(c.BaseAllocationContext);
        var extents = await c.GetExtentsAsync(0, 16L << 20).AsTask().WaitAsync(Deadline);
        Assert.Equal(0, extents[0].Offset);
        Assert.True(extents[0].IsHole, $"the first MiB was never written: {string.Join(", ", extents)}");
        Assert.Contains(extents, e => !e.IsHole && e.Offset <= 1 << 20 && e.Offset + e.Length > 1 << 20);
    }

    private static async Task AssertUntouchedAsync(NbdClientOptions good, Nbdkit kit)
    {
        await using var c = await NbdClient.ConnectAsync(kit.Address, "", good).WaitAsync(Deadline);
        var extents = await c.GetExtentsAsync(0, c.Size);
        Assert.All(extents, e => Assert.True(e.IsHole, $"a refused client left data behind: {string.Join(", ", extents)}"));
    }

    [Fact]
    public async Task Psk_read_write_flush_and_extents_are_byte_exact_over_tls()
    {
        using var dir = new TempDir("nbdtls");
        string keys = NbdTlsMaterial.WritePskFile(dir.Combine("keys.psk"), "host1", "host2");
        await using var kit = await Nbdkit.StartAsync("--tls=require", $"--tls-psk={keys}", "memory", "64M");
        await using var c = await NbdClient.ConnectAsync(kit.Address, "", Psk(keys, "host1")).WaitAsync(Deadline);
        await AssertByteExactAsync(c);
    }

    /// <summary>A polite disconnect (§10) with reads still in flight: every read is answered with its data (the client lets them finish before DISC), inside TLS too.</summary>
    private static async Task AssertDisconnectKeepsRepliesInFlightAsync(NbdClient c)
    {
        var data = RandomNumberGenerator.GetBytes(1 << 20);
        await c.WriteAsync(0, data).AsTask().WaitAsync(Deadline);
        var backs = Enumerable.Range(0, 16).Select(_ => new byte[64 * 1024]).ToArray();
        var reads = Enumerable.Range(0, 16).Select(i => c.ReadAsync(i * 64L * 1024, backs[i]).AsTask()).ToArray();
        await c.DisconnectAsync().WaitAsync(Deadline);
        await Task.WhenAll(reads).WaitAsync(Deadline);
        for (int i = 0; i < 16; i++) Assert.Equal(data.AsSpan(i * 64 * 1024, 64 * 1024).ToArray(), backs[i]);
    }

    [Fact]
    public async Task Disconnect_with_reads_in_flight_answers_them_over_psk_and_x509()
    {
        using var dir = new TempDir("nbdtls");
        string keys = NbdTlsMaterial.WritePskFile(dir.Combine("keys.psk"), "host1");
        await using (var kit = await Nbdkit.StartAsync("--tls=require", $"--tls-psk={keys}", "memory", "64M"))
        await using (var c = await NbdClient.ConnectAsync(kit.Address, "", Psk(keys, "host1")).WaitAsync(Deadline))
            await AssertDisconnectKeepsRepliesInFlightAsync(c);

        var m = NbdTlsMaterial.Create(dir.Combine("pki"));
        await using (var kit = await Nbdkit.StartAsync("--tls=require", $"--tls-certificates={m.ServerDirectory}", "memory", "64M"))
        await using (var c = await NbdClient.ConnectAsync(kit.Address, "", X509(ca: m.Ca)).WaitAsync(Deadline))
            await AssertDisconnectKeepsRepliesInFlightAsync(c);
    }

    [Fact]
    public async Task Psk_inquiry_and_list_run_inside_tls()
    {
        using var dir = new TempDir("nbdtls");
        string keys = NbdTlsMaterial.WritePskFile(dir.Combine("keys.psk"), "host1");
        await using var kit = await Nbdkit.StartAsync("--tls=require", $"--tls-psk={keys}", "memory", "64M");
        var info = await NbdClient.InquireAsync(kit.Address, "", Psk(keys, "host1")).WaitAsync(Deadline);
        Assert.Equal(64L << 20, info.Size);
        var list = await NbdClient.ListAsync(kit.Address, Psk(keys, "host1")).WaitAsync(Deadline);
        Assert.Single(list);
    }

    [Fact]
    public async Task Wrong_psk_is_refused_clearly_and_writes_nothing()
    {
        using var dir = new TempDir("nbdtls");
        string keys = NbdTlsMaterial.WritePskFile(dir.Combine("keys.psk"), "host1");
        string other = NbdTlsMaterial.WritePskFile(dir.Combine("other.psk"), "host1");
        await using var kit = await Nbdkit.StartAsync("--tls=require", $"--tls-psk={keys}", "memory", "64M");

        var ex = await Assert.ThrowsAsync<SnapcatException>(() => NbdClient.ConnectAsync(kit.Address, "", Psk(other, "host1")).WaitAsync(Deadline));
        Assert.Equal("nbd.tls_failed", ex.Code);
        Assert.Equal(ErrorKind.Unauthorized, ex.Kind);
        Assert.Contains("'host1'", ex.Message);
        Assert.Contains(other, ex.Message);

        // An unknown username is refused the same way.
        string stranger = NbdTlsMaterial.WritePskFile(dir.Combine("stranger.psk"), "mallory");
        var ex2 = await Assert.ThrowsAsync<SnapcatException>(() => NbdClient.ConnectAsync(kit.Address, "", Psk(stranger, "mallory")).WaitAsync(Deadline));
        Assert.Equal("nbd.tls_failed", ex2.Code);

        await AssertUntouchedAsync(Psk(keys, "host1"), kit);
    }

    [Fact]
    public async Task Plain_client_to_a_tls_require_server_is_told_to_configure_tls()
    {
        using var dir = new TempDir("nbdtls");
        string keys = NbdTlsMaterial.WritePskFile(dir.Combine("keys.psk"), "host1");
        await using var kit = await Nbdkit.StartAsync("--tls=require", $"--tls-psk={keys}", "memory", "64M");

        var ex = await Assert.ThrowsAsync<SnapcatException>(() => NbdClient.ConnectAsync(kit.Address, "").WaitAsync(Deadline));
        Assert.Equal("nbd.tls_required", ex.Code);
        Assert.Contains("requires TLS", ex.Message);
        Assert.Contains("nbdTls", ex.Message);
        var inquiry = await Assert.ThrowsAsync<SnapcatException>(() => NbdClient.InquireAsync(kit.Address, "").WaitAsync(Deadline));
        Assert.Equal("nbd.tls_required", inquiry.Code);

        await AssertUntouchedAsync(Psk(keys, "host1"), kit);
    }

    [Fact]
    public async Task Tls_client_to_a_server_without_tls_refuses_instead_of_falling_back()
    {
        using var dir = new TempDir("nbdtls");
        string keys = NbdTlsMaterial.WritePskFile(dir.Combine("keys.psk"), "host1");
        await using var kit = await Nbdkit.StartAsync("--tls=off", "memory", "64M");

        var ex = await Assert.ThrowsAsync<SnapcatException>(() => NbdClient.ConnectAsync(kit.Address, "", Psk(keys, "host1")).WaitAsync(Deadline));
        Assert.Equal("nbd.tls_unavailable", ex.Code);
        Assert.Contains($"the NBD server at {kit.Address} does not offer TLS", ex.Message);
    }

    [Fact]
    public async Task X509_with_the_ca_file_is_byte_exact_over_tls()
    {
        using var dir = new TempDir("nbdtls");
        var m = NbdTlsMaterial.Create(dir.Path);
        await using var kit = await Nbdkit.StartAsync("--tls=require", $"--tls-certificates={m.ServerDirectory}", "memory", "64M");
        await using var c = await NbdClient.ConnectAsync(kit.Address, "", X509(ca: m.Ca)).WaitAsync(Deadline);
        await AssertByteExactAsync(c);
    }

    [Fact]
    public async Task X509_with_a_pinned_fingerprint_connects_and_a_wrong_pin_names_both_fingerprints()
    {
        using var dir = new TempDir("nbdtls");
        var m = NbdTlsMaterial.Create(dir.Path);
        await using var kit = await Nbdkit.StartAsync("--tls=require", $"--tls-certificates={m.ServerDirectory}", "memory", "64M");

        byte[] pin = m.ServerCertificate.GetCertHash(HashAlgorithmName.SHA256);
        await using (var c = await NbdClient.ConnectAsync(kit.Address, "", X509(pin: pin)).WaitAsync(Deadline))
            Assert.True(c.IsTls);

        byte[] wrong = SHA256.HashData("another certificate"u8);
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => NbdClient.ConnectAsync(kit.Address, "", X509(pin: wrong)).WaitAsync(Deadline));
        Assert.Equal("nbd.tls_untrusted", ex.Code);
        Assert.Contains(NbdClientTls.FormatFingerprint(pin), ex.Message);
        Assert.Contains(NbdClientTls.FormatFingerprint(wrong), ex.Message);
        await AssertUntouchedAsync(X509(ca: m.Ca), kit);
    }

    [Fact]
    public async Task X509_server_from_an_untrusted_ca_is_refused()
    {
        using var dir = new TempDir("nbdtls");
        var m = NbdTlsMaterial.Create(dir.Combine("site"));
        var stranger = NbdTlsMaterial.Create(dir.Combine("stranger"));
        await using var kit = await Nbdkit.StartAsync("--tls=require", $"--tls-certificates={m.ServerDirectory}", "memory", "64M");

        var ex = await Assert.ThrowsAsync<SnapcatException>(() => NbdClient.ConnectAsync(kit.Address, "", X509(ca: stranger.Ca)).WaitAsync(Deadline));
        Assert.Equal("nbd.tls_untrusted", ex.Code);
        Assert.Contains("does not chain to the configured CA", ex.Message);
        // Without a CA of our own or a pin, the system store does not know the test CA either.
        var ex2 = await Assert.ThrowsAsync<SnapcatException>(() => NbdClient.ConnectAsync(kit.Address, "", X509()).WaitAsync(Deadline));
        Assert.Equal("nbd.tls_untrusted", ex2.Code);
        await AssertUntouchedAsync(X509(ca: m.Ca), kit);
    }

    [Fact]
    public async Task X509_client_certificate_is_shown_to_a_server_that_verifies_peers()
    {
        using var dir = new TempDir("nbdtls");
        var m = NbdTlsMaterial.Create(dir.Path);
        await using var kit = await Nbdkit.StartAsync("--tls=require", $"--tls-certificates={m.ServerDirectory}", "--tls-verify-peer", "memory", "64M");

        var withCert = X509(ca: m.Ca, client: m.ClientCertificate);
        Assert.Equal("CN=host1", withCert.Tls!.Identity);
        await using (var c = await NbdClient.ConnectAsync(kit.Address, "", withCert).WaitAsync(Deadline))
        {
            await c.WriteAsync(0, new byte[] { 1, 2, 3, 4 });
            var back = new byte[4];
            await c.ReadAsync(0, back);
            Assert.Equal(new byte[] { 1, 2, 3, 4 }, back);
        }

        // Without one, GnuTLS ends the handshake (TLS 1.3 may let it finish and close at the first read):
        // either way a clear error, never a connection.
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => NbdClient.ConnectAsync(kit.Address, "", X509(ca: m.Ca)).WaitAsync(Deadline));
        Assert.StartsWith("nbd.", ex.Code);
        Assert.Contains("certificateFile and keyFile", ex.Message);
        Assert.Contains(kit.Address.ToString(), ex.Message);
    }
}
