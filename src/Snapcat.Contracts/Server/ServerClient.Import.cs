using System.Globalization;
using System.Net.Http.Headers;
using Snapcat.Core.Jobs;

namespace Snapcat.Contracts.Server;

// Portable backups (docs/import.md): import from an image or another array, export to files.
public sealed partial class ServerClient
{
    private HttpClient? _streams;

    private HttpClient Streams()
    {
        if (_streams is { } s) return s;
        var c = CreateStreamingClient();
        if (Interlocked.CompareExchange(ref _streams, c, null) is { } other)
        {
            c.Dispose();
            return other;
        }
        return c;
    }

    /// <summary>
    /// Imports a raw image of <paramref name="size"/> bytes with its volume information and (optionally) its digest file into
    /// a new volume of <paramref name="deviceId"/>; the server adds the row once the array proved the data matches the digest.
    /// </summary>
    public async Task<ImportResult> ImportImageAsync(string deviceId, byte[] volumeInfo, byte[]? digest, Stream image, long size, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(volumeInfo);
        ArgumentNullException.ThrowIfNull(image);
        byte[] header = ImportBody.Header(volumeInfo, digest?.Length ?? 0);
        var content = new StreamContent(new ConcatStream([new MemoryStream(header), new MemoryStream(digest ?? []), image]), 1 << 20);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.ContentLength = header.Length + (digest?.Length ?? 0) + size;
        using var request = new HttpRequestMessage(HttpMethod.Put,
            $"v1/imports/image?deviceId={Uri.EscapeDataString(deviceId)}&size={size.ToString(CultureInfo.InvariantCulture)}")
        { Content = content };
        HttpResponseMessage response;
        try { response = await Streams().SendAsync(request, ct).ConfigureAwait(false); }
        catch (HttpRequestException ex) { throw Errors.Unreachable(ex); }
        using (response)
        {
            if (!response.IsSuccessStatusCode) throw await Errors.FromResponseAsync(response, ct).ConfigureAwait(false);
            return (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<ImportResult>(response.Content, Json, ct).ConfigureAwait(false))!;
        }
    }

    /// <summary>Starts bringing another array's backup volume in by volume copy; the job's result is an <see cref="ImportResult"/>.</summary>
    public Task<JobSnapshot> StartImportFromArrayAsync(ImportFromArrayRequest request, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, "v1/imports/volume-copies", Body(request), ct);

    /// <summary>
    /// Writes one part of backup <paramref name="id"/>'s export (<c>vinf</c>, <c>digest</c> or <c>image</c>) to
    /// <paramref name="destination"/>; returns the bytes written, checked against the Content-Length.
    /// </summary>
    public async Task<long> ExportAsync(long id, string part, Stream destination, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/backups/{id.ToString(CultureInfo.InvariantCulture)}/export/{Uri.EscapeDataString(part)}");
        HttpResponseMessage response;
        try { response = await Streams().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false); }
        catch (HttpRequestException ex) { throw Errors.Unreachable(ex); }
        using (response)
        {
            if (!response.IsSuccessStatusCode) throw await Errors.FromResponseAsync(response, ct).ConfigureAwait(false);
            long? expected = response.Content.Headers.ContentLength;
            var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using var bodyLifetime = body.ConfigureAwait(false);
            long total = 0;
            var buffer = new byte[1 << 20];
            try
            {
                int n;
                while ((n = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    await destination.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    total += n;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                throw new Snapcat.Core.Errors.SnapcatException(Snapcat.Core.Errors.ErrorKind.Remote, "export.short",
                    $"the server cut the {part} of backup {id} off after {total} bytes ({ex.Message}); the export is incomplete");
            }
            if (expected is long e && e != total)
                throw new Snapcat.Core.Errors.SnapcatException(Snapcat.Core.Errors.ErrorKind.Remote, "export.short",
                    $"the {part} of backup {id} ended after {total} of {e} bytes; the export is incomplete");
            return total;
        }
    }

    /// <summary>Reads its streams one after the other (the import body: header, digest, image) without copying them together.</summary>
    private sealed class ConcatStream(IReadOnlyList<Stream> parts) : Stream
    {
        private int _index;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            while (_index < parts.Count)
            {
                int n = parts[_index].Read(buffer, offset, count);
                if (n > 0) return n;
                _index++;
            }
            return 0;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (_index < parts.Count)
            {
                int n = await parts[_index].ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n > 0) return n;
                _index++;
            }
            return 0;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _streams?.Dispose();
        base.Dispose(disposing);
    }
}
