using System.Buffers.Binary;
using System.Numerics;

namespace Snapcat.Core.VolumeInformation;

/// <summary>
/// CRC-32C (Castagnoli; iSCSI, ext4 and Btrfs use it), the checksum of Snapcat's record formats.
/// <see cref="BitOperations.Crc32C(uint, ulong)"/> uses the SSE4.2/ARMv8 instruction where present.
/// Standard parameters: initial value and final XOR 0xFFFFFFFF, so "123456789" gives 0xE3069283.
/// </summary>
public static class Crc32CHash
{
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(0xFFFFFFFFu, data);

    /// <summary>Continues a raw (not yet inverted) CRC state over more data.</summary>
    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            state = BitOperations.Crc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (byte b in data)
            state = BitOperations.Crc32C(state, b);
        return state;
    }
}
