namespace Snapcat.Nbd.Protocol;

// Protocol constants of the NBD fixed-newstyle handshake and transmission phase
// (shared/specs/nbd.md; upstream doc/proto.md). All values big-endian on the wire.

public static class NbdMagic
{
    public const ulong NbdMagicInit = 0x4e42444d41474943;      // "NBDMAGIC", §3.1
    public const ulong IHaveOpt = 0x49484156454F5054;          // "IHAVEOPT", §3.1 and §3.3
    public const ulong OptionReply = 0x0003e889045565a9;       // §3.4
    public const uint Request = 0x25609513;                    // §6
    public const uint SimpleReply = 0x67446698;                // §8.1
    public const uint StructuredReply = 0x668e33ef;            // §8.2
}

[Flags]
public enum NbdHandshakeFlags : ushort
{
    FixedNewstyle = 1 << 0,
    NoZeroes = 1 << 1,
}

[Flags]
public enum NbdClientFlags : uint
{
    FixedNewstyle = 1 << 0,
    NoZeroes = 1 << 1,
}

public enum NbdOption : uint
{
    ExportName = 1,
    Abort = 2,
    List = 3,
    PeekExport = 4,
    StartTls = 5,
    Info = 6,
    Go = 7,
    StructuredReply = 8,
    ListMetaContext = 9,
    SetMetaContext = 10,
    ExtendedHeaders = 11,
}

public enum NbdOptionReplyType : uint
{
    Ack = 1,
    Server = 2,
    Info = 3,
    MetaContext = 4,
    ErrUnsup = 0x80000001,
    ErrPolicy = 0x80000002,
    ErrInvalid = 0x80000003,
    ErrPlatform = 0x80000004,
    ErrTlsReqd = 0x80000005,
    ErrUnknown = 0x80000006,
    ErrShutdown = 0x80000007,
    ErrBlockSizeReqd = 0x80000008,
    ErrTooBig = 0x80000009,
}

public enum NbdInfoType : ushort
{
    Export = 0,
    Name = 1,
    Description = 2,
    BlockSize = 3,
}

[Flags]
public enum NbdTransmissionFlags : ushort
{
    HasFlags = 1 << 0,
    ReadOnly = 1 << 1,
    SendFlush = 1 << 2,
    SendFua = 1 << 3,
    Rotational = 1 << 4,
    SendTrim = 1 << 5,
    SendWriteZeroes = 1 << 6,
    SendDf = 1 << 7,
    CanMultiConn = 1 << 8,
    SendResize = 1 << 9,
    SendCache = 1 << 10,
    SendFastZero = 1 << 11,
}

public enum NbdCommand : ushort
{
    Read = 0,
    Write = 1,
    Disconnect = 2,
    Flush = 3,
    Trim = 4,
    Cache = 5,
    WriteZeroes = 6,
    BlockStatus = 7,
}

[Flags]
public enum NbdCommandFlags : ushort
{
    None = 0,
    Fua = 1 << 0,
    NoHole = 1 << 1,
    DontFragment = 1 << 2,
    ReqOne = 1 << 3,
    FastZero = 1 << 4,
}

public enum NbdReplyChunkType : ushort
{
    None = 0,
    OffsetData = 1,
    OffsetHole = 2,
    BlockStatus = 5,
    Error = 0x8001,
    ErrorOffset = 0x8002,
}

[Flags]
public enum NbdReplyFlags : ushort
{
    Done = 1 << 0,
}

/// <summary>Error numbers of §9: protocol constants, not the host's errno.</summary>
public enum NbdError : uint
{
    None = 0,
    Perm = 1,
    Io = 5,
    NoMem = 12,
    Invalid = 22,
    NoSpace = 28,
    Overflow = 75,
    NotSupported = 95,
    Shutdown = 108,
}

/// <summary>base:allocation status bits (§3.10).</summary>
[Flags]
public enum NbdAllocationState : uint
{
    Data = 0,
    Hole = 1 << 0,
    Zero = 1 << 1,
}

public static class NbdLimits
{
    /// <summary>Largest READ/WRITE payload the server accepts and advertises (NBD_INFO_BLOCK_SIZE maximum). 32 MiB, as qemu-nbd.</summary>
    public const int MaxPayload = 32 * 1024 * 1024;

    /// <summary>Largest option data the server buffers (names are ≤ 4096 bytes; meta-context lists are short).</summary>
    public const int MaxOptionLength = 64 * 1024;

    /// <summary>Longest export name or string field (spec: 4096 bytes).</summary>
    public const int MaxStringLength = 4096;

    public const string BaseAllocation = "base:allocation";
}
