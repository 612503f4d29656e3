namespace Caseline.Server.Log;

/// <summary>A message a unit appended, not yet given its position.</summary>
internal sealed record AppendedMessage(long Agency, string ClientId, string SubType, string ActivityId, DateTimeOffset OccurredOn, byte[] Body, string Origin, string? Trace);
