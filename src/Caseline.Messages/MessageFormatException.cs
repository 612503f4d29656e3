namespace Caseline.Messages;

/// <summary>
/// The input is not a readable Caseline message (or section). The message names what is wrong
/// and where (<see cref="Path"/>), never the offending value, so personal data stays out of logs.
/// </summary>
public sealed class MessageFormatException : FormatException
{
    /// <summary>Creates an exception with no path.</summary>
    public MessageFormatException()
        : this("The input is not a Caseline message.", null, null)
    {
    }

    /// <summary>Creates an exception with no path.</summary>
    public MessageFormatException(string message)
        : this(message, null, null)
    {
    }

    /// <summary>Creates an exception with no path.</summary>
    public MessageFormatException(string message, Exception? innerException)
        : this(message, null, innerException)
    {
    }

    /// <summary>Creates an exception about the value at <paramref name="path"/>.</summary>
    public MessageFormatException(string message, string? path, Exception? innerException = null)
        : base(message, innerException) => Path = path;

    /// <summary>Where in the document the problem is, as a JSON path such as <c>$.Details.Wage</c>; null for the document as a whole.</summary>
    public string? Path { get; }
}
