// test_object_check.cpp — what a student object may contain (grader/object_check.h).
#include "grader/object_check.h"

#include <catch2/catch.hpp>

using namespace hd::grade;

namespace {

const std::set<std::string> kOwn = {"_ZN2hd21compute_mode_coverageERKNS_6TensorENS_8CategoryERKNS_16SyntheticDatasetE"};
const std::set<std::string> kProgram = {kOwn.begin()->c_str(), "_ZNK2hd16SyntheticDataset6anchorENS_4ModeE", "main"};

ObjectFacts honest() {
    ObjectFacts facts;
    facts.symbols = {{*kOwn.begin(), 'T'}, {"log", 'U'}, {"_ZNSt6vectorIdSaIdEE17_M_realloc_insertEv", 'W'},
                     {"_ZNK2hd16SyntheticDataset6anchorENS_4ModeE", 'U'}, {"_ZN12_GLOBAL__N_14helpEv", 't'}};
    facts.sections = {".text", ".rodata", ".eh_frame"};
    facts.mnemonics = {"call", "mov", "ret"};
    return facts;
}

}  // namespace

TEST_CASE("an honest object passes the check", "[grader]") { CHECK_FALSE(refusal(honest(), kOwn, kProgram)); }

TEST_CASE("each attack on the test process is refused with a reason naming it", "[grader]") {
    ObjectFacts facts = honest();
    std::string expected;
    SECTION("a global constructor") {
        facts.sections.push_back(".init_array");
        expected = "runs code before or after main (.init_array)";
    }
    SECTION("a raw system call") {
        facts.mnemonics.push_back("syscall");
        expected = "contains a 'syscall' instruction";
    }
    SECTION("exit") {
        facts.symbols.push_back({"_exit@GLIBC_2.2.5", 'U'});
        expected = "uses _exit()";
    }
    SECTION("a file stream") {
        facts.symbols.push_back({"_ZNSt14basic_ofstreamIcSt11char_traitsIcEEC1EPKcSt13_Ios_Openmode", 'U'});
        expected = "(std::ofstream)";
    }
    SECTION("Catch2's internals") {
        facts.symbols.push_back({"_ZN5Catch16getResultCaptureEv", 'U'});
        expected = "(Catch2)";
    }
    SECTION("a strong definition of a framework function") {
        facts.symbols.push_back({"_ZNK2hd16SyntheticDataset6anchorENS_4ModeE", 'T'});
        expected = "defines hd::SyntheticDataset::anchor(hd::Mode) const, which the framework or the tests already define";
    }
    SECTION("a definition inside the tests' helpers") {
        facts.symbols.push_back({"_ZN2hd9part_test11check_valueEv", 'W'});
        expected = "defines hd::part_test::check_value()";
    }
    const auto reason = refusal(facts, kOwn, kProgram);
    REQUIRE(reason);
    CHECK_THAT(*reason, Catch::Contains(expected));
}

TEST_CASE("a weak copy of a framework inline function is not refused", "[grader]") {
    ObjectFacts facts = honest();
    facts.symbols.push_back({"_ZNK2hd16SyntheticDataset6anchorENS_4ModeE", 'W'});
    CHECK_FALSE(refusal(facts, kOwn, kProgram));
}

TEST_CASE("an object the tools could not read is refused", "[grader]") {
    ObjectFacts facts = honest();
    facts.incomplete = true;
    CHECK(refusal(facts, kOwn, kProgram));
}

TEST_CASE("nm, readelf and objdump output is parsed", "[grader]") {
    const auto symbols = parse_nm("_ZN2hd1fEv T 0000000000000000 0000000000000010\nlog U\n\nbad\n");
    REQUIRE(symbols.size() == 2);
    CHECK(symbols[1].name == "log");
    CHECK(symbols[1].type == 'U');
    const auto sections = parse_sections("  [Nr] Name Type\n  [ 0]                   NULL\n  [ 1] .text PROGBITS\n"
                                         "  [12] .init_array INIT_ARRAY\n");
    CHECK(sections == std::vector<std::string>{".text", ".init_array"});
    const auto mnemonics = parse_mnemonics("0000000000000000 <f>:\n   0:\tmov    %edi,%eax\n   2:\tsyscall\n"
                                           "   4:\tlock cmpxchg %ecx,(%rdx)\n   8:\tret\n");
    CHECK(mnemonics == std::vector<std::string>{"cmpxchg", "mov", "ret", "syscall"});
}

TEST_CASE("demangle gives the C++ name and leaves C names alone", "[grader]") {
    CHECK(demangle("_ZN2hd9part_test11check_valueEv") == "hd::part_test::check_value()");
    CHECK(demangle("exit") == "exit");
}

TEST_CASE("<iostream>'s own static initialiser is allowed, any other is not", "[grader]") {
    const std::string iostream_init = "0000000000000000 <_GLOBAL__sub_I__Z1fv>:\n   0:\tpush   %rbx\n"
                                      "\t\t\t4: R_X86_64_PC32\t.bss-0x4\n   b:\tcall   10 <x>\n"
                                      "\t\t\tc: R_X86_64_PLT32\t_ZNSt8ios_base4InitC1Ev-0x4\n"
                                      "  22:\tjmp    27 <x>\n\t\t\t23: R_X86_64_PLT32\t__cxa_atexit-0x4\n";
    ObjectFacts facts = honest();
    facts.sections.push_back(".init_array");
    parse_initialiser(iostream_init, facts);
    CHECK(facts.initialiser_instructions == 3);
    CHECK_FALSE(refusal(facts, kOwn, kProgram));
    facts.initialiser_targets.push_back("write");
    CHECK(refusal(facts, kOwn, kProgram));
}
