import { expect } from "chai";
import { network } from "hardhat";
import fc from "fast-check";
import {
  BURN_TYPES,
  PERMIT_TYPES,
  POINTS_TRANSFER_TYPES,
  domainOf,
  makeWallets,
  recover,
  sign,
} from "./helpers.js";

const { ethers, networkHelpers } = await network.create();
const { time, loadFixture } = networkHelpers;

const NAME = "Aurora Points";
const SYMBOL = "AUP";
const START_BALANCE = 1000n;

async function deployPoints() {
  const [admin, minter, pauser, relayer, outsider, member, ...others] = await ethers.getSigners();
  const points = await ethers.deployContract("LoyaltyPoints", [NAME, SYMBOL, 0, admin.address]);
  await points.grantRole(await points.MINTER_ROLE(), minter.address);
  await points.grantRole(await points.PAUSER_ROLE(), pauser.address);
  // Custodial holders: local keys that only sign; the relayer pays gas.
  const holders = makeWallets(ethers, 5, "points-holder");
  await points
    .connect(minter)
    .mintBatch([...holders.map((h) => h.address), member.address], [...holders.map(() => START_BALANCE), START_BALANCE]);
  const domain = await domainOf(points);
  return { points, admin, minter, pauser, relayer, outsider, member, others, holders, domain };
}

async function deadlineIn(seconds = 3600) {
  return BigInt(await time.latest()) + BigInt(seconds);
}

async function signedBurn(wallet, domain, { owner = wallet.address, value, nonce = 0n, deadline }) {
  const payload = { owner, value, nonce, deadline };
  const signature = await sign(wallet, domain, BURN_TYPES, payload);
  return { ...payload, signature };
}

async function signedTransfer(wallet, domain, { owner = wallet.address, to, value, nonce = 0n, deadline }) {
  const payload = { owner, to, value, nonce, deadline };
  const signature = await sign(wallet, domain, POINTS_TRANSFER_TYPES, payload);
  return { ...payload, signature };
}

function burnArgs(b) {
  return [b.owner, b.value, b.nonce, b.deadline, b.signature];
}

function transferArgs(t) {
  return [t.owner, t.to, t.value, t.nonce, t.deadline, t.signature];
}

describe("LoyaltyPoints", function () {
  describe("deployment", function () {
    it("sets name, symbol, decimals 0 and gives the admin only DEFAULT_ADMIN_ROLE", async function () {
      const { points, admin, minter } = await loadFixture(deployPoints);
      expect(await points.name()).to.equal(NAME);
      expect(await points.symbol()).to.equal(SYMBOL);
      expect(await points.decimals()).to.equal(0n);
      expect(await points.hasRole(await points.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await points.hasRole(await points.MINTER_ROLE(), admin.address)).to.equal(false);
      expect(await points.hasRole(await points.PAUSER_ROLE(), admin.address)).to.equal(false);
      expect(await points.hasRole(await points.DEFAULT_ADMIN_ROLE(), minter.address)).to.equal(false);
    });

    it("supports 18 decimals", async function () {
      const [admin] = await ethers.getSigners();
      const token = await ethers.deployContract("LoyaltyPoints", ["Wei Points", "WPT", 18, admin.address]);
      expect(await token.decimals()).to.equal(18n);
      expect(await token.name()).to.equal("Wei Points");
      expect(await token.symbol()).to.equal("WPT");
      expect(await token.totalSupply()).to.equal(0n);
    });

    it("uses the token name, version 1, the chain id and its address as EIP-712 domain", async function () {
      const { points, domain } = await loadFixture(deployPoints);
      expect(domain.chainId).to.equal(31337n);
      const d = await points.eip712Domain();
      expect(d.name).to.equal(NAME);
      expect(d.version).to.equal("1");
      expect(d.chainId).to.equal(domain.chainId);
      expect(d.verifyingContract).to.equal(await points.getAddress());
      expect(await points.DOMAIN_SEPARATOR()).to.equal(ethers.TypedDataEncoder.hashDomain(domain));
      expect(await points.BURN_TYPEHASH()).to.equal(
        ethers.id("Burn(address owner,uint256 value,uint256 nonce,uint256 deadline)"),
      );
      expect(await points.TRANSFER_TYPEHASH()).to.equal(
        ethers.id("Transfer(address owner,address to,uint256 value,uint256 nonce,uint256 deadline)"),
      );
    });
  });

  describe("roles", function () {
    it("lets the admin grant MINTER_ROLE and PAUSER_ROLE", async function () {
      const { points, admin, outsider } = await loadFixture(deployPoints);
      const MINTER = await points.MINTER_ROLE();
      const PAUSER = await points.PAUSER_ROLE();
      await expect(points.connect(admin).grantRole(MINTER, outsider.address))
        .to.emit(points, "RoleGranted")
        .withArgs(MINTER, outsider.address, admin.address);
      await expect(points.connect(admin).grantRole(PAUSER, outsider.address))
        .to.emit(points, "RoleGranted")
        .withArgs(PAUSER, outsider.address, admin.address);
      await points.connect(outsider).mintBatch([outsider.address], [7n]);
      expect(await points.balanceOf(outsider.address)).to.equal(7n);
      await points.connect(outsider).pause();
      expect(await points.paused()).to.equal(true);
    });

    it("does not let a non-admin grant roles", async function () {
      const { points, minter, outsider } = await loadFixture(deployPoints);
      const MINTER = await points.MINTER_ROLE();
      await expect(points.connect(minter).grantRole(MINTER, outsider.address))
        .to.be.revertedWithCustomError(points, "AccessControlUnauthorizedAccount")
        .withArgs(minter.address, await points.DEFAULT_ADMIN_ROLE());
    });

    it("rejects mintBatch from any account without MINTER_ROLE (the admin included)", async function () {
      const { points, admin, pauser, outsider } = await loadFixture(deployPoints);
      const MINTER = await points.MINTER_ROLE();
      for (const account of [admin, pauser, outsider]) {
        await expect(points.connect(account).mintBatch([account.address], [1n]))
          .to.be.revertedWithCustomError(points, "AccessControlUnauthorizedAccount")
          .withArgs(account.address, MINTER);
      }
    });

    it("stops a revoked minter", async function () {
      const { points, admin, minter } = await loadFixture(deployPoints);
      const MINTER = await points.MINTER_ROLE();
      await points.connect(admin).revokeRole(MINTER, minter.address);
      await expect(points.connect(minter).mintBatch([minter.address], [1n]))
        .to.be.revertedWithCustomError(points, "AccessControlUnauthorizedAccount")
        .withArgs(minter.address, MINTER);
    });
  });

  describe("mintBatch", function () {
    it("mints every entry, updates totalSupply and emits one Transfer per entry", async function () {
      const { points, minter, others } = await loadFixture(deployPoints);
      const supplyBefore = await points.totalSupply();
      const to = [others[0].address, others[1].address, others[2].address];
      const amounts = [10n, 250n, 1n];
      const tx = await points.connect(minter).mintBatch(to, amounts);
      for (let i = 0; i < to.length; i++) {
        await expect(tx).to.emit(points, "Transfer").withArgs(ethers.ZeroAddress, to[i], amounts[i]);
        expect(await points.balanceOf(to[i])).to.equal(amounts[i]);
      }
      const receipt = await tx.wait();
      const transfers = receipt.logs.map((l) => points.interface.parseLog(l)).filter((l) => l?.name === "Transfer");
      expect(transfers).to.have.length(3);
      expect(await points.totalSupply()).to.equal(supplyBefore + 261n);
    });

    it("adds up repeated recipients in one batch", async function () {
      const { points, minter, others } = await loadFixture(deployPoints);
      await points.connect(minter).mintBatch([others[0].address, others[0].address], [5n, 6n]);
      expect(await points.balanceOf(others[0].address)).to.equal(11n);
    });

    it("reverts LoyaltyPointsLengthMismatch when the arrays differ in length", async function () {
      const { points, minter, others } = await loadFixture(deployPoints);
      await expect(points.connect(minter).mintBatch([others[0].address, others[1].address], [1n]))
        .to.be.revertedWithCustomError(points, "LoyaltyPointsLengthMismatch")
        .withArgs(2n, 1n);
      await expect(points.connect(minter).mintBatch([others[0].address], [1n, 2n]))
        .to.be.revertedWithCustomError(points, "LoyaltyPointsLengthMismatch")
        .withArgs(1n, 2n);
    });

    it("reverts LoyaltyPointsEmptyBatch for an empty batch", async function () {
      const { points, minter } = await loadFixture(deployPoints);
      await expect(points.connect(minter).mintBatch([], [])).to.be.revertedWithCustomError(
        points,
        "LoyaltyPointsEmptyBatch",
      );
      await expect(points.connect(minter).mintBatch([], [1n])).to.be.revertedWithCustomError(
        points,
        "LoyaltyPointsEmptyBatch",
      );
    });

    it("reverts ERC20InvalidReceiver for the zero address and mints nothing", async function () {
      const { points, minter, others } = await loadFixture(deployPoints);
      const supply = await points.totalSupply();
      await expect(points.connect(minter).mintBatch([others[0].address, ethers.ZeroAddress], [1n, 2n]))
        .to.be.revertedWithCustomError(points, "ERC20InvalidReceiver")
        .withArgs(ethers.ZeroAddress);
      expect(await points.totalSupply()).to.equal(supply);
      expect(await points.balanceOf(others[0].address)).to.equal(0n);
    });

    it("reverts LoyaltyPointsZeroAmount with the entry's index and mints nothing", async function () {
      const { points, minter, others } = await loadFixture(deployPoints);
      const supply = await points.totalSupply();
      await expect(
        points.connect(minter).mintBatch([others[0].address, others[1].address, others[2].address], [3n, 0n, 4n]),
      )
        .to.be.revertedWithCustomError(points, "LoyaltyPointsZeroAmount")
        .withArgs(1n);
      expect(await points.totalSupply()).to.equal(supply);
      expect(await points.balanceOf(others[0].address)).to.equal(0n);
    });
  });

  describe("pause", function () {
    it("blocks mint, transfer, transferFrom, signed transfers and signed burns until unpaused", async function () {
      const { points, minter, pauser, relayer, member, others, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const deadline = await deadlineIn();
      const burn = await signedBurn(h0, domain, { value: 10n, deadline });
      const move = await signedTransfer(h0, domain, { to: others[0].address, value: 10n, nonce: 0n, deadline });
      await points.connect(member).approve(relayer.address, 100n);

      await expect(points.connect(pauser).pause()).to.emit(points, "Paused").withArgs(pauser.address);
      expect(await points.paused()).to.equal(true);

      await expect(points.connect(minter).mintBatch([others[0].address], [1n])).to.be.revertedWithCustomError(
        points,
        "EnforcedPause",
      );
      await expect(points.connect(member).transfer(others[0].address, 1n)).to.be.revertedWithCustomError(
        points,
        "EnforcedPause",
      );
      await expect(
        points.connect(relayer).transferFrom(member.address, others[0].address, 1n),
      ).to.be.revertedWithCustomError(points, "EnforcedPause");
      await expect(points.connect(relayer).burnWithSignature(...burnArgs(burn))).to.be.revertedWithCustomError(
        points,
        "EnforcedPause",
      );
      await expect(points.connect(relayer).burnBatchWithSignature([burn])).to.be.revertedWithCustomError(
        points,
        "EnforcedPause",
      );
      await expect(points.connect(relayer).transferWithSignature(...transferArgs(move))).to.be.revertedWithCustomError(
        points,
        "EnforcedPause",
      );
      expect(await points.nonces(h0.address)).to.equal(0n);
      expect(await points.balanceOf(h0.address)).to.equal(START_BALANCE);

      await expect(points.connect(pauser).unpause()).to.emit(points, "Unpaused").withArgs(pauser.address);
      await points.connect(relayer).burnWithSignature(...burnArgs(burn));
      expect(await points.balanceOf(h0.address)).to.equal(START_BALANCE - 10n);
      await points.connect(member).transfer(others[0].address, 1n);
      expect(await points.balanceOf(others[0].address)).to.equal(1n);
    });

    it("rejects pause and unpause from accounts without PAUSER_ROLE", async function () {
      const { points, admin, minter, pauser, outsider } = await loadFixture(deployPoints);
      const PAUSER = await points.PAUSER_ROLE();
      for (const account of [admin, minter, outsider]) {
        await expect(points.connect(account).pause())
          .to.be.revertedWithCustomError(points, "AccessControlUnauthorizedAccount")
          .withArgs(account.address, PAUSER);
      }
      await points.connect(pauser).pause();
      await expect(points.connect(admin).unpause())
        .to.be.revertedWithCustomError(points, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, PAUSER);
    });
  });

  describe("permit (EIP-2612)", function () {
    it("sets an allowance from a relayed holder signature and uses the holder's nonce", async function () {
      const { points, relayer, others, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const deadline = await deadlineIn();
      const value = 300n;
      const sig = ethers.Signature.from(
        await sign(h0, domain, PERMIT_TYPES, { owner: h0.address, spender: relayer.address, value, nonce: 0n, deadline }),
      );
      await expect(points.connect(relayer).permit(h0.address, relayer.address, value, deadline, sig.v, sig.r, sig.s))
        .to.emit(points, "Approval")
        .withArgs(h0.address, relayer.address, value);
      expect(await points.allowance(h0.address, relayer.address)).to.equal(value);
      expect(await points.nonces(h0.address)).to.equal(1n);
      await points.connect(relayer).transferFrom(h0.address, others[0].address, value);
      expect(await points.balanceOf(others[0].address)).to.equal(value);

      // Replaying the same permit: the nonce moved on, so the signature recovers to someone else.
      await expect(
        points.connect(relayer).permit(h0.address, relayer.address, value, deadline, sig.v, sig.r, sig.s),
      ).to.be.revertedWithCustomError(points, "ERC2612InvalidSigner");
    });

    it("rejects an expired permit", async function () {
      const { points, relayer, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const deadline = await deadlineIn(10);
      const sig = ethers.Signature.from(
        await sign(h0, domain, PERMIT_TYPES, { owner: h0.address, spender: relayer.address, value: 1n, nonce: 0n, deadline }),
      );
      await time.increaseTo(deadline + 1n);
      await expect(points.connect(relayer).permit(h0.address, relayer.address, 1n, deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(points, "ERC2612ExpiredSignature")
        .withArgs(deadline);
    });
  });

  describe("burnWithSignature", function () {
    it("burns a holder's points on a relayed signature", async function () {
      const { points, relayer, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const supply = await points.totalSupply();
      const burn = await signedBurn(h0, domain, { value: 400n, deadline: await deadlineIn() });
      await expect(points.connect(relayer).burnWithSignature(...burnArgs(burn)))
        .to.emit(points, "Transfer")
        .withArgs(h0.address, ethers.ZeroAddress, 400n);
      expect(await points.balanceOf(h0.address)).to.equal(START_BALANCE - 400n);
      expect(await points.totalSupply()).to.equal(supply - 400n);
      expect(await points.nonces(h0.address)).to.equal(1n);
    });

    it("accepts a signature exactly at its deadline", async function () {
      const { points, relayer, holders, domain } = await loadFixture(deployPoints);
      const deadline = await deadlineIn(100);
      const burn = await signedBurn(holders[0], domain, { value: 1n, deadline });
      await time.setNextBlockTimestamp(deadline);
      await points.connect(relayer).burnWithSignature(...burnArgs(burn));
      expect(await points.balanceOf(holders[0].address)).to.equal(START_BALANCE - 1n);
    });

    it("rejects a replayed signature with LoyaltyPointsInvalidNonce", async function () {
      const { points, relayer, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const burn = await signedBurn(h0, domain, { value: 1n, deadline: await deadlineIn() });
      await points.connect(relayer).burnWithSignature(...burnArgs(burn));
      await expect(points.connect(relayer).burnWithSignature(...burnArgs(burn)))
        .to.be.revertedWithCustomError(points, "LoyaltyPointsInvalidNonce")
        .withArgs(h0.address, 0n);
      expect(await points.balanceOf(h0.address)).to.equal(START_BALANCE - 1n);
    });

    it("rejects a nonce ahead of the holder's next nonce", async function () {
      const { points, relayer, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const burn = await signedBurn(h0, domain, { value: 1n, nonce: 1n, deadline: await deadlineIn() });
      await expect(points.connect(relayer).burnWithSignature(...burnArgs(burn)))
        .to.be.revertedWithCustomError(points, "LoyaltyPointsInvalidNonce")
        .withArgs(h0.address, 1n);
    });

    it("rejects an expired signature with LoyaltyPointsExpiredSignature", async function () {
      const { points, relayer, holders, domain } = await loadFixture(deployPoints);
      const deadline = await deadlineIn(60);
      const burn = await signedBurn(holders[0], domain, { value: 1n, deadline });
      await time.increaseTo(deadline + 1n);
      await expect(points.connect(relayer).burnWithSignature(...burnArgs(burn)))
        .to.be.revertedWithCustomError(points, "LoyaltyPointsExpiredSignature")
        .withArgs(deadline);
      expect(await points.nonces(holders[0].address)).to.equal(0n);
    });

    it("rejects a signature by someone other than the owner", async function () {
      const { points, relayer, holders, domain } = await loadFixture(deployPoints);
      const [h0, h1] = holders;
      const burn = await signedBurn(h1, domain, { owner: h0.address, value: 1n, deadline: await deadlineIn() });
      await expect(points.connect(relayer).burnWithSignature(...burnArgs(burn)))
        .to.be.revertedWithCustomError(points, "LoyaltyPointsInvalidSigner")
        .withArgs(h1.address, h0.address);
    });

    it("rejects a signature whose value was altered by the relayer", async function () {
      const { points, relayer, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const burn = await signedBurn(h0, domain, { value: 1n, deadline: await deadlineIn() });
      const altered = { ...burn, value: 999n };
      const recovered = recover(ethers, domain, BURN_TYPES, altered, burn.signature);
      await expect(points.connect(relayer).burnWithSignature(...burnArgs(altered)))
        .to.be.revertedWithCustomError(points, "LoyaltyPointsInvalidSigner")
        .withArgs(recovered, h0.address);
    });

    it("rejects a malformed signature with signer zero", async function () {
      const { points, relayer, holders } = await loadFixture(deployPoints);
      const deadline = await deadlineIn();
      await expect(points.connect(relayer).burnWithSignature(holders[0].address, 1n, 0n, deadline, "0x"))
        .to.be.revertedWithCustomError(points, "LoyaltyPointsInvalidSigner")
        .withArgs(ethers.ZeroAddress, holders[0].address);
    });

    it("rejects a signature made for another chain id", async function () {
      const { points, relayer, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const otherChain = { ...domain, chainId: 1n };
      const burn = await signedBurn(h0, otherChain, { value: 1n, deadline: await deadlineIn() });
      const recovered = recover(ethers, domain, BURN_TYPES, burn, burn.signature);
      expect(recovered).to.not.equal(h0.address);
      await expect(points.connect(relayer).burnWithSignature(...burnArgs(burn)))
        .to.be.revertedWithCustomError(points, "LoyaltyPointsInvalidSigner")
        .withArgs(recovered, h0.address);
    });

    it("rejects a signature made for another deployment of the same token", async function () {
      const { points, admin, minter, relayer, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const twin = await ethers.deployContract("LoyaltyPoints", [NAME, SYMBOL, 0, admin.address]);
      await twin.grantRole(await twin.MINTER_ROLE(), minter.address);
      await twin.connect(minter).mintBatch([h0.address], [START_BALANCE]);
      const twinDomain = await domainOf(twin);
      expect(twinDomain.verifyingContract).to.not.equal(domain.verifyingContract);

      const burn = await signedBurn(h0, twinDomain, { value: 5n, deadline: await deadlineIn() });
      const recovered = recover(ethers, domain, BURN_TYPES, burn, burn.signature);
      await expect(points.connect(relayer).burnWithSignature(...burnArgs(burn)))
        .to.be.revertedWithCustomError(points, "LoyaltyPointsInvalidSigner")
        .withArgs(recovered, h0.address);
      // The same signature is valid where it was meant to be used.
      await twin.connect(relayer).burnWithSignature(...burnArgs(burn));
      expect(await twin.balanceOf(h0.address)).to.equal(START_BALANCE - 5n);
      expect(await points.balanceOf(h0.address)).to.equal(START_BALANCE);
    });

    it("reverts ERC20InsufficientBalance when the holder has too few points", async function () {
      const { points, relayer, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const burn = await signedBurn(h0, domain, { value: START_BALANCE + 1n, deadline: await deadlineIn() });
      await expect(points.connect(relayer).burnWithSignature(...burnArgs(burn)))
        .to.be.revertedWithCustomError(points, "ERC20InsufficientBalance")
        .withArgs(h0.address, START_BALANCE, START_BALANCE + 1n);
      expect(await points.nonces(h0.address)).to.equal(0n);
    });
  });

  describe("burnBatchWithSignature", function () {
    it("burns for many holders in one transaction", async function () {
      const { points, relayer, holders, domain } = await loadFixture(deployPoints);
      const supply = await points.totalSupply();
      const deadline = await deadlineIn();
      const burns = await Promise.all(
        holders.map((h, i) => signedBurn(h, domain, { value: BigInt(10 * (i + 1)), deadline })),
      );
      const tx = await points.connect(relayer).burnBatchWithSignature(burns);
      let total = 0n;
      for (const [i, h] of holders.entries()) {
        const value = BigInt(10 * (i + 1));
        total += value;
        await expect(tx).to.emit(points, "Transfer").withArgs(h.address, ethers.ZeroAddress, value);
        expect(await points.balanceOf(h.address)).to.equal(START_BALANCE - value);
        expect(await points.nonces(h.address)).to.equal(1n);
      }
      await expect(tx).to.not.emit(points, "SignedBurnSkipped");
      expect(await points.totalSupply()).to.equal(supply - total);
    });

    it("executes consecutive nonces of one holder in order within a batch", async function () {
      const { points, relayer, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const deadline = await deadlineIn();
      const burns = [
        await signedBurn(h0, domain, { value: 1n, nonce: 0n, deadline }),
        await signedBurn(h0, domain, { value: 2n, nonce: 1n, deadline }),
      ];
      await points.connect(relayer).burnBatchWithSignature(burns);
      expect(await points.balanceOf(h0.address)).to.equal(START_BALANCE - 3n);
      expect(await points.nonces(h0.address)).to.equal(2n);
    });

    it("skips bad entries with SignedBurnSkipped and burns the others", async function () {
      const { points, relayer, member, others, holders, domain } = await loadFixture(deployPoints);
      const [h0, h1, h2, h3, h4] = holders;
      const sel = (name) => points.interface.getError(name).selector;
      const deadline = await deadlineIn(3600);
      const shortDeadline = await deadlineIn(30);

      // h1 already used nonce 0: its entry is a replay.
      const used = await signedBurn(h1, domain, { value: 5n, deadline });
      await points.connect(relayer).burnWithSignature(...burnArgs(used));
      // The member signs a burn, then moves the points away before the batch runs.
      const memberWallet = member; // a funded account; signs locally through the node
      const moved = {
        owner: member.address,
        value: 500n,
        nonce: 0n,
        deadline,
        signature: await memberWallet.signTypedData(domain, BURN_TYPES, {
          owner: member.address,
          value: 500n,
          nonce: 0n,
          deadline,
        }),
      };
      await points.connect(member).transfer(others[0].address, START_BALANCE);

      const good0 = await signedBurn(h0, domain, { value: 100n, deadline });
      const expired = await signedBurn(h2, domain, { value: 7n, deadline: shortDeadline });
      const wrongSigner = await signedBurn(h4, domain, { owner: h3.address, value: 9n, deadline });
      const good4 = await signedBurn(h4, domain, { value: 40n, deadline });
      await time.increaseTo(shortDeadline + 1n);

      const batch = [good0, used, expired, wrongSigner, moved, good4];
      const tx = await points.connect(relayer).burnBatchWithSignature(batch);
      await expect(tx).to.emit(points, "SignedBurnSkipped").withArgs(1n, h1.address, 0n, sel("LoyaltyPointsInvalidNonce"));
      await expect(tx)
        .to.emit(points, "SignedBurnSkipped")
        .withArgs(2n, h2.address, 0n, sel("LoyaltyPointsExpiredSignature"));
      await expect(tx)
        .to.emit(points, "SignedBurnSkipped")
        .withArgs(3n, h3.address, 0n, sel("LoyaltyPointsInvalidSigner"));
      await expect(tx)
        .to.emit(points, "SignedBurnSkipped")
        .withArgs(4n, member.address, 0n, sel("ERC20InsufficientBalance"));
      await expect(tx).to.emit(points, "Transfer").withArgs(h0.address, ethers.ZeroAddress, 100n);
      await expect(tx).to.emit(points, "Transfer").withArgs(h4.address, ethers.ZeroAddress, 40n);

      const receipt = await tx.wait();
      const skipped = receipt.logs
        .map((l) => points.interface.parseLog(l))
        .filter((l) => l?.name === "SignedBurnSkipped")
        .map((l) => Number(l.args.index));
      expect(skipped).to.deep.equal([1, 2, 3, 4]);

      expect(await points.balanceOf(h0.address)).to.equal(START_BALANCE - 100n);
      expect(await points.balanceOf(h1.address)).to.equal(START_BALANCE - 5n);
      expect(await points.balanceOf(h2.address)).to.equal(START_BALANCE);
      expect(await points.balanceOf(h3.address)).to.equal(START_BALANCE);
      expect(await points.balanceOf(h4.address)).to.equal(START_BALANCE - 40n);
      expect(await points.nonces(h2.address)).to.equal(0n);
      expect(await points.nonces(h3.address)).to.equal(0n);
      expect(await points.nonces(member.address)).to.equal(0n);
    });

    it("skips a malformed signature and a batch of only bad entries does not revert", async function () {
      const { points, relayer, holders } = await loadFixture(deployPoints);
      const deadline = await deadlineIn();
      const supply = await points.totalSupply();
      const bad = { owner: holders[0].address, value: 1n, nonce: 0n, deadline, signature: "0x1234" };
      await expect(points.connect(relayer).burnBatchWithSignature([bad]))
        .to.emit(points, "SignedBurnSkipped")
        .withArgs(0n, holders[0].address, 0n, points.interface.getError("LoyaltyPointsInvalidSigner").selector);
      expect(await points.totalSupply()).to.equal(supply);
    });

    it("reverts LoyaltyPointsEmptyBatch for an empty batch", async function () {
      const { points, relayer } = await loadFixture(deployPoints);
      await expect(points.connect(relayer).burnBatchWithSignature([])).to.be.revertedWithCustomError(
        points,
        "LoyaltyPointsEmptyBatch",
      );
    });
  });

  describe("signature types are not interchangeable", function () {
    it("a permit signature cannot be used as a burn signature", async function () {
      const { points, relayer, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const deadline = await deadlineIn();
      const permit = { owner: h0.address, spender: relayer.address, value: 50n, nonce: 0n, deadline };
      const permitSig = await sign(h0, domain, PERMIT_TYPES, permit);
      const asBurn = { owner: h0.address, value: 50n, nonce: 0n, deadline, signature: permitSig };
      await expect(points.connect(relayer).burnWithSignature(...burnArgs(asBurn)))
        .to.be.revertedWithCustomError(points, "LoyaltyPointsInvalidSigner")
        .withArgs(recover(ethers, domain, BURN_TYPES, asBurn, permitSig), h0.address);
      await expect(points.connect(relayer).burnBatchWithSignature([asBurn]))
        .to.emit(points, "SignedBurnSkipped")
        .withArgs(0n, h0.address, 0n, points.interface.getError("LoyaltyPointsInvalidSigner").selector);
      expect(await points.balanceOf(h0.address)).to.equal(START_BALANCE);
    });

    it("a burn signature cannot be used as a permit", async function () {
      const { points, relayer, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const deadline = await deadlineIn();
      const burn = await signedBurn(h0, domain, { value: 50n, deadline });
      const sig = ethers.Signature.from(burn.signature);
      const asPermit = { owner: h0.address, spender: relayer.address, value: 50n, nonce: 0n, deadline };
      await expect(points.connect(relayer).permit(h0.address, relayer.address, 50n, deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(points, "ERC2612InvalidSigner")
        .withArgs(recover(ethers, domain, PERMIT_TYPES, asPermit, burn.signature), h0.address);
      expect(await points.allowance(h0.address, relayer.address)).to.equal(0n);
    });

    it("burn and transfer signatures cannot be swapped", async function () {
      const { points, relayer, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const deadline = await deadlineIn();
      const burn = await signedBurn(h0, domain, { value: 50n, deadline });
      const move = await signedTransfer(h0, domain, { to: relayer.address, value: 50n, deadline });
      await expect(
        points.connect(relayer).transferWithSignature(h0.address, relayer.address, 50n, 0n, deadline, burn.signature),
      ).to.be.revertedWithCustomError(points, "LoyaltyPointsInvalidSigner");
      await expect(
        points.connect(relayer).burnWithSignature(h0.address, 50n, 0n, deadline, move.signature),
      ).to.be.revertedWithCustomError(points, "LoyaltyPointsInvalidSigner");
    });
  });

  describe("no operator power over holders' points", function () {
    it("exposes no state-changing function other than the signed, role-gated and standard ones", async function () {
      const { points } = await loadFixture(deployPoints);
      const mutating = [];
      points.interface.forEachFunction((f) => {
        if (!f.constant) mutating.push(f.name);
      });
      expect(mutating.sort()).to.deep.equal(
        [
          "approve",
          "burnBatchWithSignature",
          "burnWithSignature",
          "grantRole",
          "mintBatch",
          "pause",
          "permit",
          "renounceRole",
          "revokeRole",
          "transfer",
          "transferFrom",
          "transferWithSignature",
          "unpause",
        ].sort(),
      );
    });

    it("admin, minter and pauser cannot transferFrom a holder without an allowance", async function () {
      const { points, admin, minter, pauser, member } = await loadFixture(deployPoints);
      for (const operator of [admin, minter, pauser]) {
        await expect(points.connect(operator).transferFrom(member.address, operator.address, 1n))
          .to.be.revertedWithCustomError(points, "ERC20InsufficientAllowance")
          .withArgs(operator.address, 0n, 1n);
      }
      expect(await points.balanceOf(member.address)).to.equal(START_BALANCE);
    });

    it("an operator's own signature cannot burn or move a holder's points", async function () {
      const { points, admin, minter, relayer, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const deadline = await deadlineIn();
      for (const operator of [admin, minter]) {
        const payload = { owner: h0.address, value: 1n, nonce: 0n, deadline };
        const signature = await operator.signTypedData(domain, BURN_TYPES, payload);
        await expect(points.connect(relayer).burnWithSignature(h0.address, 1n, 0n, deadline, signature))
          .to.be.revertedWithCustomError(points, "LoyaltyPointsInvalidSigner")
          .withArgs(operator.address, h0.address);
        const tPayload = { owner: h0.address, to: operator.address, value: 1n, nonce: 0n, deadline };
        const tSig = await operator.signTypedData(domain, POINTS_TRANSFER_TYPES, tPayload);
        await expect(points.connect(operator).transferWithSignature(...transferArgs({ ...tPayload, signature: tSig })))
          .to.be.revertedWithCustomError(points, "LoyaltyPointsInvalidSigner")
          .withArgs(operator.address, h0.address);
      }
      expect(await points.balanceOf(h0.address)).to.equal(START_BALANCE);
    });
  });

  describe("transferWithSignature", function () {
    it("moves points on a relayed holder signature", async function () {
      const { points, relayer, others, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const move = await signedTransfer(h0, domain, { to: others[0].address, value: 250n, deadline: await deadlineIn() });
      await expect(points.connect(relayer).transferWithSignature(...transferArgs(move)))
        .to.emit(points, "Transfer")
        .withArgs(h0.address, others[0].address, 250n);
      expect(await points.balanceOf(h0.address)).to.equal(START_BALANCE - 250n);
      expect(await points.balanceOf(others[0].address)).to.equal(250n);
      expect(await points.nonces(h0.address)).to.equal(1n);
    });

    it("rejects a replay with LoyaltyPointsInvalidNonce", async function () {
      const { points, relayer, others, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const move = await signedTransfer(h0, domain, { to: others[0].address, value: 1n, deadline: await deadlineIn() });
      await points.connect(relayer).transferWithSignature(...transferArgs(move));
      await expect(points.connect(relayer).transferWithSignature(...transferArgs(move)))
        .to.be.revertedWithCustomError(points, "LoyaltyPointsInvalidNonce")
        .withArgs(h0.address, 0n);
    });

    it("rejects an expired signature", async function () {
      const { points, relayer, others, holders, domain } = await loadFixture(deployPoints);
      const deadline = await deadlineIn(60);
      const move = await signedTransfer(holders[0], domain, { to: others[0].address, value: 1n, deadline });
      await time.increaseTo(deadline + 1n);
      await expect(points.connect(relayer).transferWithSignature(...transferArgs(move)))
        .to.be.revertedWithCustomError(points, "LoyaltyPointsExpiredSignature")
        .withArgs(deadline);
    });

    it("rejects a signature by someone other than the owner", async function () {
      const { points, relayer, others, holders, domain } = await loadFixture(deployPoints);
      const [h0, h1] = holders;
      const move = await signedTransfer(h1, domain, {
        owner: h0.address,
        to: others[0].address,
        value: 1n,
        deadline: await deadlineIn(),
      });
      await expect(points.connect(relayer).transferWithSignature(...transferArgs(move)))
        .to.be.revertedWithCustomError(points, "LoyaltyPointsInvalidSigner")
        .withArgs(h1.address, h0.address);
    });

    it("rejects a signature whose recipient was redirected by the relayer", async function () {
      const { points, relayer, others, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const move = await signedTransfer(h0, domain, { to: others[0].address, value: 1n, deadline: await deadlineIn() });
      const redirected = { ...move, to: relayer.address };
      await expect(points.connect(relayer).transferWithSignature(...transferArgs(redirected)))
        .to.be.revertedWithCustomError(points, "LoyaltyPointsInvalidSigner")
        .withArgs(recover(ethers, domain, POINTS_TRANSFER_TYPES, redirected, move.signature), h0.address);
    });

    it("rejects a signature for another chain id or another deployment", async function () {
      const { points, admin, relayer, others, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const deadline = await deadlineIn();
      const twin = await ethers.deployContract("LoyaltyPoints", [NAME, SYMBOL, 0, admin.address]);
      for (const d of [{ ...domain, chainId: 5n }, await domainOf(twin)]) {
        const move = await signedTransfer(h0, d, { to: others[0].address, value: 1n, deadline });
        await expect(points.connect(relayer).transferWithSignature(...transferArgs(move)))
          .to.be.revertedWithCustomError(points, "LoyaltyPointsInvalidSigner")
          .withArgs(recover(ethers, domain, POINTS_TRANSFER_TYPES, move, move.signature), h0.address);
      }
    });

    it("reverts for the zero address recipient and for an insufficient balance", async function () {
      const { points, relayer, others, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const deadline = await deadlineIn();
      const toZero = await signedTransfer(h0, domain, { to: ethers.ZeroAddress, value: 1n, deadline });
      await expect(points.connect(relayer).transferWithSignature(...transferArgs(toZero)))
        .to.be.revertedWithCustomError(points, "ERC20InvalidReceiver")
        .withArgs(ethers.ZeroAddress);
      const tooMuch = await signedTransfer(h0, domain, { to: others[0].address, value: START_BALANCE + 1n, deadline });
      await expect(points.connect(relayer).transferWithSignature(...transferArgs(tooMuch)))
        .to.be.revertedWithCustomError(points, "ERC20InsufficientBalance")
        .withArgs(h0.address, START_BALANCE, START_BALANCE + 1n);
      expect(await points.nonces(h0.address)).to.equal(0n);
    });
  });

  describe("one nonce sequence shared by permit, burn and transfer", function () {
    it("consumes the same nonce whichever signed action runs, so the others become invalid", async function () {
      const { points, relayer, others, holders, domain } = await loadFixture(deployPoints);
      const [h0] = holders;
      const deadline = await deadlineIn();

      // Two signatures for nonce 0: a burn and a transfer. Whichever runs first wins.
      const burn0 = await signedBurn(h0, domain, { value: 10n, nonce: 0n, deadline });
      const move0 = await signedTransfer(h0, domain, { to: others[0].address, value: 10n, nonce: 0n, deadline });
      await points.connect(relayer).burnWithSignature(...burnArgs(burn0));
      await expect(points.connect(relayer).transferWithSignature(...transferArgs(move0)))
        .to.be.revertedWithCustomError(points, "LoyaltyPointsInvalidNonce")
        .withArgs(h0.address, 0n);

      // Nonce 1 is used by a permit; a burn signed for nonce 1 is then stale.
      const burn1 = await signedBurn(h0, domain, { value: 10n, nonce: 1n, deadline });
      const permit1 = ethers.Signature.from(
        await sign(h0, domain, PERMIT_TYPES, { owner: h0.address, spender: relayer.address, value: 1n, nonce: 1n, deadline }),
      );
      await points.connect(relayer).permit(h0.address, relayer.address, 1n, deadline, permit1.v, permit1.r, permit1.s);
      expect(await points.nonces(h0.address)).to.equal(2n);
      await expect(points.connect(relayer).burnWithSignature(...burnArgs(burn1)))
        .to.be.revertedWithCustomError(points, "LoyaltyPointsInvalidNonce")
        .withArgs(h0.address, 1n);

      // Nonce 2 by a transfer.
      const move2 = await signedTransfer(h0, domain, { to: others[0].address, value: 10n, nonce: 2n, deadline });
      await points.connect(relayer).transferWithSignature(...transferArgs(move2));
      expect(await points.nonces(h0.address)).to.equal(3n);
      expect(await points.balanceOf(h0.address)).to.equal(START_BALANCE - 20n);
      expect(await points.balanceOf(others[0].address)).to.equal(10n);
    });
  });

  describe("property: balances always add up (fast-check)", function () {
    async function deployEmptyPoints() {
      const signers = await ethers.getSigners();
      const [admin] = signers;
      const token = await ethers.deployContract("LoyaltyPoints", ["Prop Points", "PP", 18, admin.address]);
      await token.grantRole(await token.MINTER_ROLE(), admin.address);
      return { token, recipients: signers.slice(0, 10) };
    }

    const entry = fc.record({ to: fc.integer({ min: 0, max: 9 }), amount: fc.bigInt({ min: 1n, max: 2n ** 96n }) });
    const batches = fc.array(fc.array(entry, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 3 });

    it("sum of balances equals totalSupply and each balance equals what was minted to it", async function () {
      await fc.assert(
        fc.asyncProperty(batches, async (plan) => {
          const { token, recipients } = await loadFixture(deployEmptyPoints);
          const expected = new Array(recipients.length).fill(0n);
          for (const batch of plan) {
            await token.mintBatch(
              batch.map((e) => recipients[e.to].address),
              batch.map((e) => e.amount),
            );
            for (const e of batch) expected[e.to] += e.amount;
          }
          const balances = await Promise.all(recipients.map((r) => token.balanceOf(r.address)));
          const sum = balances.reduce((a, b) => a + b, 0n);
          expect(sum).to.equal(await token.totalSupply());
          expect(balances).to.deep.equal(expected);
        }),
        { numRuns: 25 },
      );
    });

    it("a batch with a zero amount reverts at the first zero's index and changes nothing", async function () {
      const withZero = fc
        .array(entry, { minLength: 1, maxLength: 8 })
        .chain((batch) =>
          fc.integer({ min: 0, max: batch.length - 1 }).map((z) => batch.map((e, i) => (i === z ? { ...e, amount: 0n } : e))),
        );
      await fc.assert(
        fc.asyncProperty(withZero, async (batch) => {
          const { token, recipients } = await loadFixture(deployEmptyPoints);
          const firstZero = batch.findIndex((e) => e.amount === 0n);
          await expect(token.mintBatch(batch.map((e) => recipients[e.to].address), batch.map((e) => e.amount)))
            .to.be.revertedWithCustomError(token, "LoyaltyPointsZeroAmount")
            .withArgs(BigInt(firstZero));
          expect(await token.totalSupply()).to.equal(0n);
        }),
        { numRuns: 10 },
      );
    });
  });
});
