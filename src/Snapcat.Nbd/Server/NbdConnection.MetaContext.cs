using System.Buffers.Binary;
using System.Text;
using Snapcat.Nbd.Protocol;

namespace Snapcat.Nbd.Server;

// NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT (spec §3.10). The only context served is
// base:allocation, answered from IBlockDevice.GetExtentsAsync.
internal sealed partial class NbdConnection
{
    /// <summary>
    /// §3.10 request: u32 export-name length N, N bytes name, u32 query count Q, then Q × (u32 length,
    /// query bytes). Any length running past the option data is ERR_INVALID.
    /// </summary>
    internal static bool TryParseMetaContextRequest(ReadOnlySpan<byte> d, out string export, out List<string> queries, out string? error)
    {
        export = "";
        queries = [];
        error = null;
        if (d.Length < 8) { error = "meta context data is shorter than 8 bytes"; return false; }
        uint nameLen = BinaryPrimitives.ReadUInt32BigEndian(d);
        if (nameLen > (uint)(d.Length - 8) || nameLen > NbdLimits.MaxStringLength) { error = "export name length runs past the option data"; return false; }
        export = Encoding.UTF8.GetString(d.Slice(4, (int)nameLen));
        int pos = 4 + (int)nameLen;
        uint count = BinaryPrimitives.ReadUInt32BigEndian(d[pos..]);
        pos += 4;
        // Each query needs at least its 4-byte length: reject impossible counts before looping.
        if (count > (uint)(d.Length - pos) / 4) { error = "query count runs past the option data"; return false; }
        for (uint i = 0; i < count; i++)
        {
            if (d.Length - pos < 4) { error = "query length runs past the option data"; return false; }
            uint qlen = BinaryPrimitives.ReadUInt32BigEndian(d[pos..]);
            pos += 4;
            if (qlen > (uint)(d.Length - pos) || qlen > NbdLimits.MaxStringLength) { error = "query runs past the option data"; return false; }
            queries.Add(Encoding.UTF8.GetString(d.Slice(pos, (int)qlen)));
            pos += (int)qlen;
        }
        if (pos != d.Length) { error = "trailing bytes after the meta context queries"; return false; }
        return true;
    }

    /// <summary>
    /// Does the query list select base:allocation? LIST: zero queries or "base:" mean "everything in
    /// base". SET: only the full name selects it; unknown namespaces and leaves are ignored (§3.10).
    /// </summary>
    internal static bool SelectsAllocation(List<string> queries, bool isList)
    {
        if (queries.Count == 0) return isList;
        foreach (var q in queries)
        {
            if (q == NbdLimits.BaseAllocation) return true;
            if (isList && q == "base:") return true;
        }
        return false;
    }

    private async ValueTask<Outcome> MetaContextAsync(uint option, ReadOnlyMemory<byte> data)
    {
        bool isList = option == (uint)NbdOption.ListMetaContext;
        if (!isList)
        {
            // §3.10: every SET replaces the selection, even one that fails.
            _allocationSelected = false;
            _metaExport = null;
        }
        if (!TryParseMetaContextRequest(data.Span, out string export, out var queries, out string? error))
            return await InvalidAsync(option, error!).ConfigureAwait(false);
        if (!isList && !_structured)
            return await InvalidAsync(option, "SET_META_CONTEXT requires structured replies first").ConfigureAwait(false);

        var handle = await _catalog.OpenAsync(export, _identity, Ct).ConfigureAwait(false);
        if (handle is null)
        {
            await ErrorAsync(option, NbdOptionReplyType.ErrUnknown, $"no export named '{export}'").ConfigureAwait(false);
            return Outcome.Continue;
        }
        await handle.DisposeAsync().ConfigureAwait(false);

        if (SelectsAllocation(queries, isList))
        {
            // LIST replies carry the reserved ID 0; SET replies carry the ID used in BLOCK_STATUS chunks.
            var payload = new byte[4 + NbdLimits.BaseAllocation.Length];
            BinaryPrimitives.WriteUInt32BigEndian(payload, isList ? 0 : AllocationContextId);
            Encoding.ASCII.GetBytes(NbdLimits.BaseAllocation, payload.AsSpan(4));
            await ReplyAsync(option, NbdOptionReplyType.MetaContext, payload).ConfigureAwait(false);
            if (!isList)
            {
                _allocationSelected = true;
                _metaExport = export;
            }
        }
        await ReplyAsync(option, NbdOptionReplyType.Ack, default).ConfigureAwait(false);
        return Outcome.Continue;
    }
}
