using System.Security.Cryptography;
using Snapcat.Core.Storage;

namespace Snapcat.Array.Tests.Engines;

internal static class EngineData
{
    public const int Chunk = 64 * 1024;

    public static byte[] Random(int length, Random rng)
    {
        var b = new byte[length];
        rng.NextBytes(b);
        return b;
    }

    /// <summary>Writes random data into every other chunk of the first chunks (the rest stay holes).</summary>
    public static async Task FillHalfAsync(IBlockDevice dev, Random rng)
    {
        for (long c = 0; c < dev.Size / Chunk; c += 2)
            await dev.WriteAsync(c * Chunk, Random(Chunk, rng));
    }

    public static async Task<byte[]> ReadAllAsync(IBlockDevice dev)
    {
        var all = new byte[dev.Size];
        for (long off = 0; off < dev.Size; off += 1 << 20)
            await dev.ReadAsync(off, all.AsMemory((int)off, (int)Math.Min(1 << 20, dev.Size - off)));
        return all;
    }

    public static async Task<string> HashAsync(IBlockDevice dev) => Hash(await ReadAllAsync(dev));

    public static string Hash(byte[] data) => Convert.ToHexString(SHA256.HashData(data));
}
