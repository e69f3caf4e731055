using System.Buffers.Binary;
using Snapcat.Fuzz.Nbd.Client;
using Snapcat.Nbd.Protocol;

namespace Snapcat.Nbd.Tests.Client;

/// <summary>Smoke-runs the fuzz targets: random bytes and mutations of valid replies must end only in protocol or I/O errors.</summary>
public sealed class NbdClientFuzzTests
{
    [Fact]
    public void Reply_parser_survives_random_and_mutated_input()
    {
        var rng = new Random(20240601);
        var seeds = ValidReplySeeds();
        int parsed = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] input;
            if (i % 3 == 0)
            {
                input = new byte[rng.Next(0, 200)];
                rng.NextBytes(input);
            }
            else
            {
                input = (byte[])seeds[rng.Next(seeds.Length)].Clone();
                for (int m = rng.Next(1, 4); m > 0; m--) input[rng.Next(1, input.Length)] = (byte)rng.Next(256);
                if (rng.Next(4) == 0) input = input[..rng.Next(1, input.Length)];
            }
            if (Survives(() => NbdClientFuzz.ParseReplies(input))) parsed++;
        }
        // The unmutated seeds themselves must parse cleanly.
        foreach (var seed in seeds) NbdClientFuzz.ParseReplies(seed);
        Assert.True(parsed > 0);
    }

    [Fact]
    public void Handshake_parser_survives_random_and_mutated_input()
    {
        var rng = new Random(7);
        var seed = ValidHandshakeSeed();
        NbdClientFuzz.ParseHandshake(seed);
        for (int i = 0; i < 20_000; i++)
        {
            byte[] input;
            if (i % 4 == 0)
            {
                input = new byte[rng.Next(0, 100)];
                rng.NextBytes(input);
            }
            else
            {
                input = (byte[])seed.Clone();
                for (int m = rng.Next(1, 3); m > 0; m--) input[rng.Next(input.Length)] = (byte)rng.Next(256);
            }
            Survives(() => NbdClientFuzz.ParseHandshake(input));
        }
    }

    private static bool Survives(Action run)
    {
        try
        {
            run();
            return true;
        }
        catch (NbdProtocolException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static byte[][] ValidReplySeeds()
    {
        // Structured: READ cookie 1 as data + hole; BLOCK_STATUS cookie 3; error for WRITE cookie 4; READ cookie 2 as one chunk.
        var s = new List<byte> { 1 };
        s.AddRange(Chunk(0, NbdReplyChunkType.OffsetData, 1, [.. U64(0), .. new byte[2048]]));
        s.AddRange(Chunk((ushort)NbdReplyFlags.Done, NbdReplyChunkType.OffsetHole, 1, [.. U64(2048), .. U32(2048)]));
        s.AddRange(Chunk((ushort)NbdReplyFlags.Done, NbdReplyChunkType.BlockStatus, 3, [.. U32(1), .. U32(65536), .. U32(3), .. U32(65536), .. U32(0)]));
        s.AddRange(Chunk((ushort)NbdReplyFlags.Done, NbdReplyChunkType.Error, 4, [.. U32(5), 0, 2, (byte)'n', (byte)'o']));
        s.AddRange(Chunk((ushort)NbdReplyFlags.Done, NbdReplyChunkType.OffsetData, 2, [.. U64(8192), .. new byte[512]]));
        // Simple: WRITE ok, READ cookie 2 with data.
        var simple = new List<byte> { 0 };
        simple.AddRange([.. U32(NbdMagic.SimpleReply), .. U32(0), .. U64(4)]);
        simple.AddRange([.. U32(NbdMagic.SimpleReply), .. U32(0), .. U64(2), .. new byte[512]]);
        return [s.ToArray(), simple.ToArray()];
    }

    private static byte[] ValidHandshakeSeed()
    {
        var b = new List<byte>();
        b.AddRange(U64(NbdMagic.NbdMagicInit));
        b.AddRange(U64(NbdMagic.IHaveOpt));
        b.AddRange([0, 3]);
        b.AddRange(OptionReply(NbdOption.StructuredReply, NbdOptionReplyType.Ack, []));
        b.AddRange(OptionReply(NbdOption.SetMetaContext, NbdOptionReplyType.MetaContext, [.. U32(1), .. "base:allocation"u8.ToArray()]));
        b.AddRange(OptionReply(NbdOption.SetMetaContext, NbdOptionReplyType.Ack, []));
        b.AddRange(OptionReply(NbdOption.Go, NbdOptionReplyType.Info, [0, 0, .. U64(1 << 20), 0, 0x4d]));
        b.AddRange(OptionReply(NbdOption.Go, NbdOptionReplyType.Info, [0, 3, .. U32(512), .. U32(4096), .. U32(1 << 20)]));
        b.AddRange(OptionReply(NbdOption.Go, NbdOptionReplyType.Info, [0, 2, .. "snapcat-array device-id=A volume=1"u8.ToArray()]));
        b.AddRange(OptionReply(NbdOption.Go, NbdOptionReplyType.Ack, []));
        return b.ToArray();
    }

    private static byte[] Chunk(ushort flags, NbdReplyChunkType type, ulong cookie, byte[] payload) =>
        [.. U32(NbdMagic.StructuredReply), .. U16(flags), .. U16((ushort)type), .. U64(cookie), .. U32((uint)payload.Length), .. payload];

    private static byte[] OptionReply(NbdOption opt, NbdOptionReplyType type, byte[] data) =>
        [.. U64(NbdMagic.OptionReply), .. U32((uint)opt), .. U32((uint)type), .. U32((uint)data.Length), .. data];

    private static byte[] U16(ushort v) { var b = new byte[2]; BinaryPrimitives.WriteUInt16BigEndian(b, v); return b; }
    private static byte[] U32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, v); return b; }
    private static byte[] U64(ulong v) { var b = new byte[8]; BinaryPrimitives.WriteUInt64BigEndian(b, v); return b; }
}
