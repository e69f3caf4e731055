using Snapcat.Nbd.Protocol;
using Snapcat.Fuzz.Nbd.Server;

namespace Snapcat.Nbd.Tests.Server;

/// <summary>Smoke-runs the fuzz targets with random and mutated inputs: no exception, no hang.</summary>
public sealed class NbdFuzzSmokeTests
{
    [Fact]
    public void Handshake_target_survives_random_and_mutated_input()
    {
        var rnd = new Random(1234);
        var valid = NbdFuzzTargets.ValidHandshake();
        for (int i = 0; i < 300; i++)
        {
            NbdFuzzTargets.Handshake(RandomInput(rnd, rnd.Next(0, 200)));
            NbdFuzzTargets.Handshake(Mutate(rnd, valid));
        }
    }

    [Fact]
    public void Tls_required_handshake_target_survives_random_and_mutated_input()
    {
        var rnd = new Random(4321);
        var valid = NbdFuzzTargets.ValidTlsHandshake();
        NbdFuzzTargets.HandshakeRequireTls(valid);
        for (int i = 0; i < 300; i++)
        {
            NbdFuzzTargets.HandshakeRequireTls(RandomInput(rnd, rnd.Next(0, 200)));
            NbdFuzzTargets.HandshakeRequireTls(Mutate(rnd, valid));
            NbdFuzzTargets.HandshakeRequireTls(Mutate(rnd, NbdFuzzTargets.ValidHandshake()));
        }
    }

    [Fact]
    public void Transmission_target_survives_random_requests()
    {
        var rnd = new Random(5678);
        for (int i = 0; i < 300; i++)
        {
            var ms = new MemoryStream();
            int count = rnd.Next(1, 20);
            for (int k = 0; k < count; k++)
            {
                var h = new byte[NbdRequest.Size];
                uint len = rnd.Next(4) == 0 ? (uint)rnd.Next() : (uint)rnd.Next(0, 8192);
                ulong off = rnd.Next(3) == 0 ? (ulong)rnd.NextInt64() : (ulong)rnd.Next(0, 1 << 20);
                ushort type = (ushort)rnd.Next(0, 10);
                if (type == (ushort)NbdCommand.Disconnect) type = (ushort)NbdCommand.Read;
                new NbdRequest((NbdCommandFlags)rnd.Next(0, 64), type, (ulong)k, off, len).Write(h);
                ms.Write(h);
                if (type == (ushort)NbdCommand.Write && len < 8192) ms.Write(RandomInput(rnd, (int)len));
            }
            var bytes = ms.ToArray();
            if (rnd.Next(3) == 0) bytes = Mutate(rnd, bytes);
            NbdFuzzTargets.Transmission(bytes);
        }
    }

    [Theory]
    [InlineData(NbdCommand.Read)]
    [InlineData(NbdCommand.Flush)]
    public void Transmission_target_fails_when_a_request_reaches_the_internal_error_branch(NbdCommand command)
    {
        // An exception no device contract allows (not IOException, not ArgumentException): the server
        // answers EIO "internal error" and only logs it, so without the hook the target would pass.
        var input = Request(command, 4096);
        var failure = Assert.Throws<NbdFuzzFailure>(() =>
            NbdFuzzTargets.Transmission(input, () => new ThrowingBlockDevice(() => new InvalidOperationException("device bug"))));
        var inner = Assert.IsType<AggregateException>(failure.InnerException);
        Assert.Contains(inner.InnerExceptions, e => e is InvalidOperationException { Message: "device bug" });
    }

    [Fact]
    public void Transmission_target_accepts_a_device_io_error()
    {
        // EIO from the device is a failure the protocol expects (§9), not a server bug.
        NbdFuzzTargets.Transmission(Request(NbdCommand.Read, 4096), () => new ThrowingBlockDevice(() => new IOException("medium error")));
    }

    private static byte[] Request(NbdCommand command, uint length)
    {
        var h = new byte[NbdRequest.Size];
        new NbdRequest(NbdCommandFlags.None, (ushort)command, 1, 0, command == NbdCommand.Flush ? 0 : length).Write(h);
        return h;
    }

    private static byte[] RandomInput(Random rnd, int n)
    {
        var b = new byte[n];
        rnd.NextBytes(b);
        return b;
    }

    private static byte[] Mutate(Random rnd, byte[] input)
    {
        var b = (byte[])input.Clone();
        int flips = rnd.Next(1, 4);
        for (int i = 0; i < flips && b.Length > 0; i++) b[rnd.Next(b.Length)] ^= (byte)(1 << rnd.Next(8));
        if (rnd.Next(4) == 0) b = b[..rnd.Next(b.Length + 1)];
        return b;
    }
}
