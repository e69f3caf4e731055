namespace Snapcat.Contracts.Server;

// Portable backups (docs/import.md): PUT /v1/imports/image (a framed body: record, digest, image), POST /v1/imports/volume-copies
// (a job: another array's backup volume brought in by volume copy), GET /v1/backups/{id}/export/{vinf|digest|image}.

/// <summary>
/// What an import did: the catalog row it added (<see cref="Id"/>) at <see cref="DeviceId"/> volume <see cref="Volume"/>, or,
/// with <see cref="AlreadyImported"/>, the row that already holds the same backup (same record and digest; nothing was done).
/// <see cref="Digest"/>: the digest root the array now keeps and the row carries.
/// </summary>
public sealed record ImportResult(long Id, string DeviceId, uint Volume, Guid BackupId, bool AlreadyImported, string? Digest, IReadOnlyList<string> Warnings);

/// <summary>Bring backup volume <see cref="Volume"/> of array <see cref="FromDeviceId"/> into a new volume of <see cref="DeviceId"/>.</summary>
public sealed record ImportFromArrayRequest(string FromDeviceId, uint Volume, string DeviceId);

/// <summary>The body of <c>PUT /v1/imports/image</c>: "SCIMPORT", u16 version 1, the 512-byte record, u32 digest length (0: none), the digest file, then the image.</summary>
public static class ImportBody
{
    public static ReadOnlySpan<byte> Magic => "SCIMPORT"u8;
    public const ushort Version = 1;
    public const int HeaderBytes = 8 + 2 + 512 + 4;
    /// <summary>The largest digest file accepted (a digest of 8 TiB of data).</summary>
    public const int MaxDigestBytes = 64 << 20;

    public static byte[] Header(ReadOnlySpan<byte> volumeInfo, int digestLength)
    {
        var h = new byte[HeaderBytes];
        Magic.CopyTo(h);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(8), Version);
        volumeInfo.CopyTo(h.AsSpan(10));
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(10 + 512), digestLength);
        return h;
    }
}
