namespace Snapcat.Fuzz.Nbd.Server;

/// <summary>A fuzz input found a server bug: a request ended in the server's internal-error branch.</summary>
public sealed class NbdFuzzFailure(string message, Exception inner) : Exception(message, inner);
