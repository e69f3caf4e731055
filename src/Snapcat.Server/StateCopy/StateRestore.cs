namespace Snapcat.Server.StateCopy;

/// <summary>
/// Chooses the state copy a rebuild restores (docs/disaster-recovery.md): among the valid copies, this server's own when it
/// has any, otherwise the server whose copy is newest (or the one <c>--from-server</c> names); of that server's copies the
/// highest generation. Every copy looked at is listed with why it was or was not used.
/// </summary>
public static class StateRestore
{
    public sealed record Choice(FoundCopy? Chosen, IReadOnlyList<StateCopySeen> Seen, string? Problem);

    public static Choice Choose(IReadOnlyList<FoundCopy> copies, string ownServerId, string? fromServer)
    {
        ArgumentNullException.ThrowIfNull(copies);
        var valid = copies.Where(c => c.Valid).ToList();
        string? server = fromServer;
        if (server is null && valid.Count > 0)
            server = valid.Any(c => c.Document!.ServerId == ownServerId)
                ? ownServerId
                : valid.MaxBy(c => (c.Document!.Written, c.Document.Generation))!.Document!.ServerId;
        var mine = valid.Where(c => c.Document!.ServerId == server).ToList();
        FoundCopy? chosen = mine.Count == 0 ? null : mine.MaxBy(c => (c.Document!.Generation, c.Document.Written));
        var seen = copies.Select(c =>
        {
            var d = c.Document;
            string? reason = c.Problem ?? (c == chosen ? null
                : d!.ServerId != server ? $"the copy of another server ({d.ServerId}); 'snapcat catalog rebuild --from-server {d.ServerId}' restores it"
                : $"older: generation {d.Generation}, the newest is {chosen!.Document!.Generation}");
            return new StateCopySeen(c.Source, d?.ServerId, d?.Generation, d?.Written, c == chosen, reason);
        }).ToList();
        string? problem = chosen is not null ? null
            : fromServer is not null ? $"no valid state copy of server {fromServer} was found"
            : copies.Count == 0 ? "no state copy was found on the arrays or tapes read (definitions and the backup volume table are not restored)"
            : "no state copy found is valid (each is listed with its reason); definitions and the backup volume table are not restored";
        return new Choice(chosen, seen, problem);
    }
}
