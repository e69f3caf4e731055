using System.Globalization;
using System.Security.Cryptography;
using Snapcat.Nbd;
using Snapcat.Nbd.Client;

namespace Snapcat.TestKit;

/// <summary>Writing and comparing the contents of LUNs over NBD (the C# client, or nbdcopy as the reference client).</summary>
public static class LunData
{
    public static Task<NbdClient> ConnectAsync(string dataPort, uint lun) =>
        NbdClient.ConnectAsync(NbdAddress.Parse(dataPort), lun.ToString(CultureInfo.InvariantCulture));

    /// <summary>Fills a LUN with random bytes (dense) from <paramref name="seed"/>, flushed; returns the bytes.</summary>
    public static async Task<byte[]> FillAsync(string dataPort, uint lun, long size, int seed)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        await using var c = await ConnectAsync(dataPort, lun);
        const int piece = 4 << 20;
        for (long off = 0; off < size; off += piece)
            await c.WriteAsync(off, data.AsMemory((int)off, (int)Math.Min(piece, size - off)));
        await c.FlushAsync();
        return data;
    }

    /// <summary>SHA-256 of a whole LUN read with the C# NBD client.</summary>
    public static async Task<string> HashLunAsync(string dataPort, uint lun)
    {
        await using var c = await ConnectAsync(dataPort, lun);
        return await HashAsync(c);
    }

    public static async Task<string> HashAsync(NbdClient c)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buf = new byte[4 << 20];
        for (long off = 0; off < c.Size; off += buf.Length)
        {
            int n = (int)Math.Min(buf.Length, c.Size - off);
            await c.ReadAsync(off, buf.AsMemory(0, n));
            h.AppendData(buf, 0, n);
        }
        return Convert.ToHexString(h.GetHashAndReset());
    }

    /// <summary>SHA-256 of a LUN copied by nbdcopy into a scratch file under <paramref name="scratchDir"/>.</summary>
    public static async Task<string> NbdcopyHashAsync(string dataPort, uint lun, string scratchDir)
    {
        string file = Path.Combine(scratchDir, $"lun-{lun}-{Guid.NewGuid():N}.img");
        (await Tool.RunAsync("nbdcopy", [$"nbd://{dataPort}/{lun}", file])).EnsureSuccess("nbdcopy");
        try
        {
            await using var f = File.OpenRead(file);
            return Convert.ToHexString(await SHA256.HashDataAsync(f));
        }
        finally
        {
            File.Delete(file);
        }
    }

    public static string Hash(byte[] data) => Convert.ToHexString(SHA256.HashData(data));
}
