using Snapcat.Tape.Cartridge;

namespace Snapcat.Server.Tape;

/// <summary>The library's fill for <c>/metrics</c>: cartridges by state and the bytes still writable on them.</summary>
public sealed record TapeLibraryUsage(IReadOnlyDictionary<string, int> CartridgesByState, long FreeBytes, int FreeSlots);

public sealed partial class TapeLibrary
{
    /// <summary>Cartridge states as <see cref="ListAsync"/> names them.</summary>
    public static readonly IReadOnlyList<string> CartridgeStates = ["empty", "appendable", "closed", "damaged"];

    /// <summary>
    /// A label scan (no backup's management information is read): each cartridge's state as <see cref="ListAsync"/> shows
    /// it, the free bytes of the cartridges that can still be written (less the trailer reserve), and the empty slots.
    /// It waits for a drive like every tape operation.
    /// </summary>
    public Task<TapeLibraryUsage> UsageAsync(CancellationToken ct = default) =>
        UseDriveAsync(writes: false, () =>
        {
            var scan = LibraryScan.Run(_cartridges, ImageBytes, ct);
            long capacity = Config.CapacityBytes;
            var states = CartridgeStates.ToDictionary(s => s, _ => 0, StringComparer.Ordinal);
            long free = 0;
            foreach (var c in scan.Cartridges)
            {
                if (c.Damaged)
                {
                    states["damaged"]++;
                    continue;
                }
                var info = c.Info!;
                states[info.IsClosed ? "closed" : info.Files.Count == 0 ? "empty" : "appendable"]++;
                if (!info.IsClosed) free += Math.Max(0, (info.RemainingBytes ?? capacity - c.ImageBytes) - CartridgeWriter.TrailerReserveBytes);
            }
            return new TapeLibraryUsage(states, free, Math.Max(0, Config.Slots - scan.Cartridges.Count));
        }, ct);
}
