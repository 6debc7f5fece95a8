package io.sparkbert.pipeline.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class SentenceSplitterTest {
    private final SentenceSplitter splitter = new SentenceSplitter();

    @Test
    void englishProse() {
        assertEquals(List.of("The cat sat on the mat.", "It was warm.", "Then it slept."),
                splitter.split("The cat sat on the mat. It was warm.  Then it slept."));
    }

    @Test
    void lowercaseAfterPeriodDoesNotStartASentence() {
        assertEquals(List.of("Use the file named config. then run it."),
                splitter.split("Use the file named config. then run it."));
    }

    @Test
    void abbreviationsStayTogether() {
        assertEquals(List.of("Mr. Smith met Dr. Jones and Prof. Lee at St. Mary's.", "They talked."),
                splitter.split("Mr. Smith met Dr. Jones and Prof. Lee at St. Mary's. They talked."));
        assertEquals(List.of("Apples, pears etc. Were sold by Acme Inc. And Foo Ltd. On Jan. 5 they closed."),
                splitter.split("Apples, pears etc. Were sold by Acme Inc. And Foo Ltd. On Jan. 5 they closed."));
        assertEquals(List.of("Some fruit, e.g. Apples, and others, i.e. Pears, were sold.", "See Fig. 3 and No. 7."),
                splitter.split("Some fruit, e.g. Apples, and others, i.e. Pears, were sold. See Fig. 3 and No. 7."));
        assertEquals(List.of("Kramer vs. Kramer won.", "It was in the U.S. Army base."),
                splitter.split("Kramer vs. Kramer won. It was in the U.S. Army base."));
    }

    @Test
    void initials() {
        assertEquals(List.of("J. R. R. Tolkien wrote it.", "George R. R. Martin did not."),
                splitter.split("J. R. R. Tolkien wrote it. George R. R. Martin did not."));
    }

    @Test
    void decimals() {
        assertEquals(List.of("Pi is about 3.14 and e is 2.718.", "Version 2.0.1 shipped."),
                splitter.split("Pi is about 3.14 and e is 2.718. Version 2.0.1 shipped."));
        assertEquals(List.of("It cost 5.", "20 people paid."), splitter.split("It cost 5. 20 people paid."));
    }

    @Test
    void quotesAndBracketsAfterThePeriod() {
        assertEquals(List.of("He said \"Stop.\"", "Then he left."),
                splitter.split("He said \"Stop.\" Then he left."));
        assertEquals(List.of("She wrote “done.”", "‘Really?’", "(Yes.)", "Fine."),
                splitter.split("She wrote “done.” ‘Really?’ (Yes.) Fine."));
        assertEquals(List.of("\"Stop.\" he said."), splitter.split("\"Stop.\" he said."));
    }

    @Test
    void openingQuoteOrDigitStartsASentence() {
        assertEquals(List.of("He left.", "\"Why?\" she asked.", "3 days later he came back."),
                splitter.split("He left. \"Why?\" she asked. 3 days later he came back."));
    }

    @Test
    void ellipsis() {
        assertEquals(List.of("Wait...", "What was that?"), splitter.split("Wait... What was that?"));
        assertEquals(List.of("Wait…", "What?"), splitter.split("Wait… What?"));
        assertEquals(List.of("Well… maybe not."), splitter.split("Well… maybe not."));
    }

    @Test
    void questionsAndExclamations() {
        assertEquals(List.of("Is it true?", "Yes!", "Really?!", "Absolutely‽", "Fine."),
                splitter.split("Is it true? Yes! Really?! Absolutely‽ Fine."));
    }

    @Test
    void cjkWithoutSpaces() {
        assertEquals(List.of("道可道，非常道。", "名可名，非常名。"), splitter.split("道可道，非常道。名可名，非常名。"));
        assertEquals(List.of("你好吗？", "我很好！", "谢谢。"), splitter.split("你好吗？我很好！谢谢。"));
        assertEquals(List.of("他说：「好。」", "然后走了。"), splitter.split("他说：「好。」然后走了。"));
        assertEquals(List.of("今日は晴れです。", "明日は雨です。"), splitter.split("今日は晴れです。明日は雨です。"));
    }

    @Test
    void mixedScripts() {
        assertEquals(List.of("Hello world.", "你好世界。", "This is English.", "Привет, мир.", "Ещё раз."),
                splitter.split("Hello world. 你好世界。This is English. Привет, мир. Ещё раз."));
        // Caseless scripts start a sentence after Latin punctuation and whitespace.
        assertEquals(List.of("Das ist gut.", "مرحبا بالعالم؟", "שלום."),
                splitter.split("Das ist gut. مرحبا بالعالم؟ שלום."));
    }

    @Test
    void emptyAndBlankText() {
        assertEquals(List.of(), splitter.split(""));
        assertEquals(List.of(), splitter.split("   \n\t  "));
        assertEquals(List.of(), splitter.split(null));
        assertEquals(List.of("."), splitter.split(" . "));
    }

    @Test
    void textWithoutEndPunctuationIsOneSentence() {
        assertEquals(List.of("no punctuation at all here"), splitter.split("  no punctuation at all here  "));
        assertEquals(List.of("Ends without a period"), splitter.split("Ends without a period"));
    }

    @Test
    void paragraphBreakEndsASentence() {
        assertEquals(List.of("Introduction", "The model is small.", "a lowercase paragraph"),
                splitter.split("Introduction\n\nThe model is small.\r\n\r\na lowercase paragraph"));
        assertEquals(List.of("One line\ncontinues here."), splitter.split("One line\ncontinues here."));
    }

    @Test
    void noTextIsLost() {
        String text = "Dr. No. 5 is here. Mr. X said \"hi.\" 道。Yes?! ok… Fine. e.g. That.\n\nEnd";
        String joined = String.join("", splitter.split(text));
        assertEquals(text.replaceAll("\\s", ""), joined.replaceAll("\\s", ""));
    }

    @Test
    void isSerializable() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(splitter);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            Object copy = in.readObject();
            assertTrue(copy instanceof SentenceSplitter);
            assertEquals(List.of("A b.", "C d."), ((SentenceSplitter) copy).split("A b. C d."));
        }
    }
}
