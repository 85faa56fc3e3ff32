using System.Globalization;
using System.Text;

namespace GridGame.LocalCluster.Schema.Cel;

internal enum TokenKind
{
    End,
    Identifier,
    Int,
    Uint,
    Double,
    String,
    Punct,
}

/// <summary>One CEL token; <see cref="Value"/> holds the literal (ulong magnitude for ints, so -9223372036854775808 parses).</summary>
internal readonly record struct Token(TokenKind Kind, string Text, object? Value, int Position);

/// <summary>Splits a CEL expression into tokens; a malformed literal is a <see cref="CelCompileException"/>.</summary>
internal static class CelLexer
{
    private static readonly string[] Puncts = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "*", "/", "%", "?", ":", ".", ",", "(", ")", "[", "]", "{", "}"];

    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                tokens.Add(Number(text, ref i));
            }
            else if (c is '"' or '\'' || (c is 'r' or 'R' && i + 1 < text.Length && text[i + 1] is '"' or '\''))
            {
                tokens.Add(StringLiteral(text, ref i));
            }
            else if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }
                tokens.Add(new Token(TokenKind.Identifier, text[start..i], null, start));
            }
            else
            {
                var punct = Puncts.FirstOrDefault(p => string.CompareOrdinal(text, i, p, 0, p.Length) == 0)
                    ?? throw new CelCompileException($"Syntax error: token recognition error at: '{c}'", i);
                tokens.Add(new Token(TokenKind.Punct, punct, null, i));
                i += punct.Length;
            }
        }
        tokens.Add(new Token(TokenKind.End, "<EOF>", null, text.Length));
        return tokens;
    }

    private static Token Number(string text, ref int i)
    {
        var start = i;
        if (text[i] == '0' && i + 1 < text.Length && text[i + 1] is 'x' or 'X')
        {
            i += 2;
            while (i < text.Length && char.IsAsciiHexDigit(text[i]))
            {
                i++;
            }
            var hex = text[(start + 2)..i];
            return IntegerToken(text, ref i, start, hex, NumberStyles.AllowHexSpecifier);
        }
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }
        var isDouble = false;
        if (i + 1 < text.Length && text[i] == '.' && char.IsAsciiDigit(text[i + 1]))
        {
            isDouble = true;
            i++;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }
        }
        if (i < text.Length && text[i] is 'e' or 'E')
        {
            var j = i + 1;
            if (j < text.Length && text[j] is '+' or '-')
            {
                j++;
            }
            if (j < text.Length && char.IsAsciiDigit(text[j]))
            {
                isDouble = true;
                i = j;
                while (i < text.Length && char.IsAsciiDigit(text[i]))
                {
                    i++;
                }
            }
        }
        if (isDouble)
        {
            var literal = text[start..i];
            return new Token(TokenKind.Double, literal, double.Parse(literal, NumberStyles.Float, CultureInfo.InvariantCulture), start);
        }
        return IntegerToken(text, ref i, start, text[start..i], NumberStyles.None);
    }

    private static Token IntegerToken(string text, ref int i, int start, string digits, NumberStyles style)
    {
        var unsigned = i < text.Length && text[i] is 'u' or 'U';
        if (unsigned)
        {
            i++;
        }
        if (!ulong.TryParse(digits, style, CultureInfo.InvariantCulture, out var magnitude)
            || (!unsigned && magnitude > (ulong)long.MaxValue + 1))
        {
            throw new CelCompileException($"Syntax error: invalid int literal '{text[start..i]}'", start);
        }
        return new Token(unsigned ? TokenKind.Uint : TokenKind.Int, text[start..i], magnitude, start);
    }

    private static Token StringLiteral(string text, ref int i)
    {
        var start = i;
        var raw = text[i] is 'r' or 'R';
        if (raw)
        {
            i++;
        }
        var quote = text[i];
        var triple = i + 2 < text.Length && text[i + 1] == quote && text[i + 2] == quote;
        var delimiter = new string(quote, triple ? 3 : 1);
        i += delimiter.Length;
        var builder = new StringBuilder();
        while (true)
        {
            if (i >= text.Length || (!triple && text[i] is '\n' or '\r'))
            {
                throw new CelCompileException("Syntax error: unterminated string literal", start);
            }
            if (string.CompareOrdinal(text, i, delimiter, 0, delimiter.Length) == 0)
            {
                i += delimiter.Length;
                return new Token(TokenKind.String, text[start..i], builder.ToString(), start);
            }
            if (text[i] == '\\' && !raw)
            {
                i++;
                builder.Append(Escape(text, ref i, start));
            }
            else
            {
                builder.Append(text[i++]);
            }
        }
    }

    private static string Escape(string text, ref int i, int start)
    {
        if (i >= text.Length)
        {
            throw new CelCompileException("Syntax error: unterminated string literal", start);
        }
        var c = text[i++];
        switch (c)
        {
            case 'n': return "\n";
            case 't': return "\t";
            case 'r': return "\r";
            case 'a': return "\a";
            case 'b': return "\b";
            case 'f': return "\f";
            case 'v': return "\v";
            case '\\' or '\'' or '"' or '`' or '?': return c.ToString();
            case 'x' or 'X': return CodePoint(text, ref i, 2, start);
            case 'u': return CodePoint(text, ref i, 4, start);
            case 'U': return CodePoint(text, ref i, 8, start);
            default:
                throw new CelCompileException($"Syntax error: invalid escape sequence '\\{c}'", start);
        }
    }

    private static string CodePoint(string text, ref int i, int digits, int start)
    {
        if (i + digits > text.Length || !int.TryParse(text.AsSpan(i, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code)
            || !Rune.IsValid(code))
        {
            throw new CelCompileException("Syntax error: invalid escape sequence", start);
        }
        i += digits;
        return new Rune(code).ToString();
    }
}

/// <summary>A rule that does not compile: a syntax error, an undeclared reference or an unknown function.</summary>
internal sealed class CelCompileException(string message, int position) : Exception(message)
{
    public int Position { get; } = position;
}
