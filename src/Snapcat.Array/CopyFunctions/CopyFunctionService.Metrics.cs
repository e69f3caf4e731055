namespace Snapcat.Array.CopyFunctions;

public sealed partial class CopyFunctionService
{
    /// <summary>Chunks preserved by copy-on-write that the array's snapshots hold now, over every source volume (for /metrics).</summary>
    public long PreservedChunks()
    {
        lock (_sync) return _engines.Values.Sum(e => e.Engine.HeldChunks);
    }
}
