using System.Globalization;
using System.Net.Http.Headers;

namespace Snapcat.Contracts.Array;

/// <summary>The content of a catalog volume (PUT/GET /v1/volumes/{n}/content; docs/disaster-recovery.md).</summary>
public sealed partial class ArrayClient
{
    /// <summary>The most one content request carries (the array's limit); longer ranges go in several requests.</summary>
    public const int ContentChunkBytes = 16 * 1024 * 1024;

    /// <summary>
    /// Writes <paramref name="data"/> at <paramref name="offset"/> of catalog volume <paramref name="number"/>; each request
    /// returns only once the array flushed its part to stable storage.
    /// </summary>
    public async Task WriteContentAsync(uint number, long offset, ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        for (int at = 0; at < data.Length; at += ContentChunkBytes)
        {
            var part = data.Slice(at, Math.Min(ContentChunkBytes, data.Length - at));
            var content = new ReadOnlyMemoryContent(part);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            await SendAsync(HttpMethod.Put, $"v1/volumes/{N(number)}/content?offset={(offset + at).ToString(CultureInfo.InvariantCulture)}", content, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Reads <paramref name="length"/> bytes at <paramref name="offset"/> of catalog volume <paramref name="number"/>.</summary>
    public async Task<byte[]> ReadContentAsync(uint number, long offset, int length, CancellationToken ct = default)
    {
        var result = new byte[length];
        for (int at = 0; at < length; at += ContentChunkBytes)
        {
            int count = Math.Min(ContentChunkBytes, length - at);
            using var response = await SendRawAsync(new HttpRequestMessage(HttpMethod.Get,
                $"v1/volumes/{N(number)}/content?offset={(offset + at).ToString(CultureInfo.InvariantCulture)}&length={count.ToString(CultureInfo.InvariantCulture)}"), ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw await Errors.FromResponseAsync(response, ct).ConfigureAwait(false);
            byte[] part = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            if (part.Length != count)
                throw new Snapcat.Core.Errors.SnapcatException(Snapcat.Core.Errors.ErrorKind.Remote, "content.short_read",
                    $"the array sent {part.Length} bytes of volume {number} at offset {offset + at}, expected {count}");
            part.CopyTo(result, at);
        }
        return result;
    }
}
