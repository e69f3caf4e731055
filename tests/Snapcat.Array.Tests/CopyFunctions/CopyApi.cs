using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Snapcat.Array.Api;
using Snapcat.Array.Tests.Daemon;
using Snapcat.Core.Jobs;
using Snapcat.Nbd;
using Snapcat.Nbd.Client;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.CopyFunctions;

/// <summary>Test-side HTTP and NBD helpers for the copy functions of a real <see cref="RunningArray"/>.</summary>
internal static class CopyApi
{
    public static Task<HttpResponseMessage> PostAsync(this RunningArray a, string path, object? body = null) =>
        body is null ? a.Http.PostAsync(path, null) : a.Http.PostAsync(path, JsonContent.Create(body, body.GetType()));

    public static async Task<MirrorDestinationDto> AddMirrorAsync(this RunningArray a, uint primary, uint secondary) =>
        await RunningArray.ReadAsync<MirrorDestinationDto>(
            await a.PostAsync($"/v1/volumes/{primary}/mirrors", new MirrorAddRequest(secondary)), HttpStatusCode.Created);

    public static async Task<MirrorDestinationDto> MirrorStateAsync(this RunningArray a, uint primary, uint secondary) =>
        (await a.GetAsync<List<MirrorDestinationDto>>($"/v1/volumes/{primary}/mirrors")).Single(m => m.Secondary == secondary);

    public static async Task<JobSnapshot> OrderCopyAsync(this RunningArray a, uint primary, uint secondary) =>
        await RunningArray.ReadAsync<JobSnapshot>(await a.PostAsync("/v1/copies", new CopyOrder(primary, null, null, secondary)), HttpStatusCode.Accepted);

    public static async Task<JobSnapshot> OrderRestoreAsync(this RunningArray a, uint source, bool force = false) =>
        await RunningArray.ReadAsync<JobSnapshot>(await a.PostAsync("/v1/restores", new RestoreOrder(source, null, force)), HttpStatusCode.Accepted);

    public static async Task<VolumeDto> SnapshotAsync(this RunningArray a, uint source) =>
        await RunningArray.ReadAsync<VolumeDto>(await a.PostAsync($"/v1/volumes/{source}/snapshots"), HttpStatusCode.Created);

    /// <summary>
    /// Orders a restore, retrying while the array still counts a writer that just disconnected (the
    /// server drops the count when it notices the closed connection).
    /// </summary>
    public static async Task<JobSnapshot> RestoreOnceWritersGoneAsync(this RunningArray a, uint source)
    {
        JobSnapshot? job = null;
        await Poll.UntilAsync(async () =>
        {
            var r = await a.PostAsync("/v1/restores", new RestoreOrder(source));
            if (r.StatusCode == HttpStatusCode.Accepted)
            {
                job = await RunningArray.ReadAsync<JobSnapshot>(r, HttpStatusCode.Accepted);
                return true;
            }
            Assert.Equal("restore.writers_connected", (await RunningArray.ExpectErrorAsync(r, 409)).Code);
            return false;
        }, TimeSpan.FromSeconds(15), "the array to see the writer disconnect");
        return job!;
    }

    /// <summary>SIGTERM and wait: the daemon's clean stop.</summary>
    public static async Task StopCleanlyAsync(this RunningArray a)
    {
        (await Tool.RunAsync("kill", ["-TERM", a.Process!.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])).EnsureSuccess("kill -TERM");
        Assert.Equal(0, await a.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    /// <summary>Polls the job until it is final; fails the test unless it succeeded.</summary>
    public static async Task<JobSnapshot> WaitJobAsync(this RunningArray a, string id, bool expectSuccess = true)
    {
        JobSnapshot? last = null;
        await Poll.UntilAsync(async () => (last = await a.GetAsync<JobSnapshot>($"/v1/jobs/{id}")).State.IsFinal(),
            TimeSpan.FromSeconds(120), $"job {id} to finish");
        if (expectSuccess)
            Assert.True(last!.State == JobState.Succeeded, $"job {id} ended {last.State}: {last.ErrorCode} {last.ErrorMessage}");
        return last!;
    }

    public static async Task AssignAsync(this RunningArray a, uint number, uint lun, bool? readOnly)
    {
        object body = readOnly is bool ro ? new AssignRequest(a.DataPorts[0], lun, ro) : new { port = a.DataPorts[0], lun };
        var r = await a.Http.PostAsync($"/v1/volumes/{number}/assignments", JsonContent.Create(body, body.GetType()));
        await RunningArray.ReadAsync<AssignmentDto>(r, HttpStatusCode.Created);
    }

    public static Task<NbdClient> ConnectAsync(this RunningArray a, uint lun) =>
        NbdClient.ConnectAsync(NbdAddress.Parse(a.DataPorts[0]), lun.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>SHA-256 of a whole LUN read with the C# NBD client.</summary>
    public static async Task<string> HashLunAsync(this RunningArray a, uint lun)
    {
        await using var c = await a.ConnectAsync(lun);
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

    /// <summary>SHA-256 of a LUN copied to a file by nbdcopy (the reference client).</summary>
    public static async Task<string> NbdcopyHashAsync(this RunningArray a, uint lun)
    {
        string file = a.Dir.Combine($"lun-{lun}-{Guid.NewGuid():N}.img");
        (await Tool.RunAsync("nbdcopy", [$"nbd://{a.DataPorts[0]}/{lun}", file])).EnsureSuccess("nbdcopy");
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

    /// <summary>Fills a LUN with random bytes (dense) through the NBD client, flushed; returns the bytes.</summary>
    public static async Task<byte[]> FillAsync(this RunningArray a, uint lun, long size, int seed)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        await using var c = await a.ConnectAsync(lun);
        const int piece = 4 << 20;
        for (long off = 0; off < size; off += piece)
            await c.WriteAsync(off, data.AsMemory((int)off, (int)Math.Min(piece, size - off)));
        await c.FlushAsync();
        return data;
    }
}
