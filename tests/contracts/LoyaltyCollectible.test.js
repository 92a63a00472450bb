import { expect } from "chai";
import { network } from "hardhat";
import fc from "fast-check";
import { CLAIM_TYPES, NFT_TRANSFER_TYPES, domainOf, makeWallets, recover, sign } from "./helpers.js";

const { ethers, networkHelpers } = await network.create();
const { time, loadFixture } = networkHelpers;

const NAME = "Aurora Collectibles";
const SYMBOL = "AUC";
const SERIAL_BITS = 64n;
const SERIAL_MASK = (1n << SERIAL_BITS) - 1n;
const OPEN_URI = "ipfs://open/";
const BADGE_URI = "ipfs://badge/";

const tokenIdOf = (dropId, serial) => (BigInt(dropId) << SERIAL_BITS) | BigInt(serial);

// Drops created by the fixture.
const OPEN = 1n; // transferable, max 10, no window
const BADGE = 2n; // soulbound, max 5, no window

async function deployCollectible() {
  const [admin, minter, pauser, dropAdmin, relayer, alice, bob, outsider] = await ethers.getSigners();
  const nft = await ethers.deployContract("LoyaltyCollectible", [NAME, SYMBOL, admin.address]);
  const [claimSigner, holder, stranger] = makeWallets(ethers, 3, "collectible-key");
  await nft.grantRole(await nft.MINTER_ROLE(), minter.address);
  await nft.grantRole(await nft.PAUSER_ROLE(), pauser.address);
  await nft.grantRole(await nft.DROP_ADMIN_ROLE(), dropAdmin.address);
  await nft.grantRole(await nft.CLAIM_SIGNER_ROLE(), claimSigner.address);
  await nft.connect(dropAdmin).createDrop(10, OPEN_URI, false, 0, 0);
  await nft.connect(dropAdmin).createDrop(5, BADGE_URI, true, 0, 0);
  const domain = await domainOf(nft);
  return { nft, admin, minter, pauser, dropAdmin, relayer, alice, bob, outsider, claimSigner, holder, stranger, domain };
}

async function deadlineIn(seconds = 3600) {
  return BigInt(await time.latest()) + BigInt(seconds);
}

async function voucher(signerWallet, domain, { recipient, dropId, nonce, deadline }) {
  const payload = { recipient, dropId, nonce, deadline };
  return { ...payload, signature: await sign(signerWallet, domain, CLAIM_TYPES, payload) };
}

const claimArgs = (v) => [v.recipient, v.dropId, v.nonce, v.deadline, v.signature];

async function signedMove(wallet, domain, { from = wallet.address, to, tokenId, nonce = 0n, deadline }) {
  const payload = { from, to, tokenId, nonce, deadline };
  return { ...payload, signature: await sign(wallet, domain, NFT_TRANSFER_TYPES, payload) };
}

const moveArgs = (m) => [m.from, m.to, m.tokenId, m.nonce, m.deadline, m.signature];

describe("LoyaltyCollectible", function () {
  describe("deployment and interfaces", function () {
    it("sets name, symbol, admin role and the EIP-712 domain", async function () {
      const { nft, admin, domain } = await loadFixture(deployCollectible);
      expect(await nft.name()).to.equal(NAME);
      expect(await nft.symbol()).to.equal(SYMBOL);
      expect(await nft.hasRole(await nft.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await nft.hasRole(await nft.DROP_ADMIN_ROLE(), admin.address)).to.equal(false);
      const d = await nft.eip712Domain();
      expect(d.name).to.equal(NAME);
      expect(d.version).to.equal("1");
      expect(d.chainId).to.equal(domain.chainId);
      expect(d.verifyingContract).to.equal(domain.verifyingContract);
      expect(await nft.CLAIM_TYPEHASH()).to.equal(
        ethers.id("Claim(address recipient,uint256 dropId,uint256 nonce,uint256 deadline)"),
      );
      expect(await nft.TRANSFER_TYPEHASH()).to.equal(
        ethers.id("Transfer(address from,address to,uint256 tokenId,uint256 nonce,uint256 deadline)"),
      );
    });

    it("supports ERC-165, ERC-721, ERC-721 metadata, ERC-5192, ERC-4906 and AccessControl", async function () {
      const { nft } = await loadFixture(deployCollectible);
      for (const id of ["0x01ffc9a7", "0x80ac58cd", "0x5b5e139f", "0xb45a3c0e", "0x49064906", "0x7965db0b"]) {
        expect(await nft.supportsInterface(id), id).to.equal(true);
      }
      expect(await nft.supportsInterface("0xffffffff")).to.equal(false);
      expect(await nft.supportsInterface("0x780e9d63")).to.equal(false); // not enumerable
      // The ERC-5192 id is the selector of locked(uint256).
      expect(nft.interface.getFunction("locked").selector).to.equal("0xb45a3c0e");
    });
  });

  describe("createDrop", function () {
    it("requires DROP_ADMIN_ROLE (the admin included)", async function () {
      const { nft, admin, minter, outsider } = await loadFixture(deployCollectible);
      const ROLE = await nft.DROP_ADMIN_ROLE();
      for (const account of [admin, minter, outsider]) {
        await expect(nft.connect(account).createDrop(1, "", false, 0, 0))
          .to.be.revertedWithCustomError(nft, "AccessControlUnauthorizedAccount")
          .withArgs(account.address, ROLE);
      }
    });

    it("rejects maxSupply 0 and a window whose end is not after its start", async function () {
      const { nft, dropAdmin } = await loadFixture(deployCollectible);
      const now = BigInt(await time.latest());
      const bad = [
        [0, 0, 0],
        [0, now, now + 10n],
        [1, now + 10n, now + 10n],
        [1, now + 10n, now + 9n],
      ];
      for (const [max, start, end] of bad) {
        await expect(nft.connect(dropAdmin).createDrop(max, "", false, start, end)).to.be.revertedWithCustomError(
          nft,
          "LoyaltyCollectibleInvalidDrop",
        );
      }
      // Open on either side is fine.
      await nft.connect(dropAdmin).createDrop(1, "", false, now + 10n, 0);
      await nft.connect(dropAdmin).createDrop(1, "", false, 0, now + 10n);
      expect(await nft.dropCount()).to.equal(4n);
    });

    it("numbers drops from 1 and stores their settings", async function () {
      const [admin] = await ethers.getSigners();
      const fresh = await ethers.deployContract("LoyaltyCollectible", [NAME, SYMBOL, admin.address]);
      await fresh.grantRole(await fresh.DROP_ADMIN_ROLE(), admin.address);
      expect(await fresh.dropCount()).to.equal(0n);
      expect(await fresh.createDrop.staticCall(3, "u/", true, 100, 200)).to.equal(1n);
      await expect(fresh.createDrop(3, "u/", true, 100, 200))
        .to.emit(fresh, "DropCreated")
        .withArgs(1n, 3n, true, 100n, 200n, "u/");
      await expect(fresh.createDrop(7, "v/", false, 0, 0))
        .to.emit(fresh, "DropCreated")
        .withArgs(2n, 7n, false, 0n, 0n, "v/");
      expect(await fresh.dropCount()).to.equal(2n);
      const d1 = await fresh.getDrop(1);
      expect([d1.maxSupply, d1.minted, d1.start, d1.end, d1.soulbound, d1.baseURI]).to.deep.equal([
        3n,
        0n,
        100n,
        200n,
        true,
        "u/",
      ]);
      for (const unknown of [0n, 3n]) {
        await expect(fresh.getDrop(unknown))
          .to.be.revertedWithCustomError(fresh, "LoyaltyCollectibleUnknownDrop")
          .withArgs(unknown);
      }
    });

    it("dropOf decodes the drop from a token id", async function () {
      const { nft } = await loadFixture(deployCollectible);
      expect(await nft.dropOf(tokenIdOf(7, 1))).to.equal(7n);
      expect(await nft.dropOf(tokenIdOf(7, SERIAL_MASK))).to.equal(7n);
      expect(await nft.dropOf(tokenIdOf(8, 0))).to.equal(8n);
      expect(await nft.dropOf(SERIAL_MASK)).to.equal(0n);
    });
  });

  describe("mintBatch", function () {
    it("mints ids dropId<<64 | serial with consecutive serials across batches", async function () {
      const { nft, minter, alice, bob } = await loadFixture(deployCollectible);
      const tx = await nft.connect(minter).mintBatch(OPEN, [alice.address, bob.address]);
      await expect(tx).to.emit(nft, "Transfer").withArgs(ethers.ZeroAddress, alice.address, tokenIdOf(OPEN, 1));
      await expect(tx).to.emit(nft, "Transfer").withArgs(ethers.ZeroAddress, bob.address, tokenIdOf(OPEN, 2));
      await expect(tx).to.not.emit(nft, "Locked");
      await nft.connect(minter).mintBatch(OPEN, [alice.address]);
      await nft.connect(minter).mintBatch(BADGE, [bob.address]);
      expect(await nft.ownerOf(tokenIdOf(OPEN, 1))).to.equal(alice.address);
      expect(await nft.ownerOf(tokenIdOf(OPEN, 2))).to.equal(bob.address);
      expect(await nft.ownerOf(tokenIdOf(OPEN, 3))).to.equal(alice.address);
      expect(await nft.ownerOf(tokenIdOf(BADGE, 1))).to.equal(bob.address);
      expect(await nft.balanceOf(alice.address)).to.equal(2n);
      expect((await nft.getDrop(OPEN)).minted).to.equal(3n);
      expect((await nft.getDrop(BADGE)).minted).to.equal(1n);
      expect(await nft.dropOf(tokenIdOf(OPEN, 3))).to.equal(OPEN);
    });

    it("mints exactly up to max supply and never past it", async function () {
      const { nft, minter, alice } = await loadFixture(deployCollectible);
      const seven = Array(7).fill(alice.address);
      await nft.connect(minter).mintBatch(OPEN, seven);
      await expect(nft.connect(minter).mintBatch(OPEN, Array(4).fill(alice.address)))
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleMaxSupplyExceeded")
        .withArgs(OPEN, 4n, 3n);
      await nft.connect(minter).mintBatch(OPEN, Array(3).fill(alice.address)); // exactly at max
      expect((await nft.getDrop(OPEN)).minted).to.equal(10n);
      expect(await nft.ownerOf(tokenIdOf(OPEN, 10))).to.equal(alice.address);
      await expect(nft.connect(minter).mintBatch(OPEN, [alice.address]))
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleMaxSupplyExceeded")
        .withArgs(OPEN, 1n, 0n);
      await expect(nft.ownerOf(tokenIdOf(OPEN, 11)))
        .to.be.revertedWithCustomError(nft, "ERC721NonexistentToken")
        .withArgs(tokenIdOf(OPEN, 11));
    });

    it("rejects an unknown drop", async function () {
      const { nft, minter, alice } = await loadFixture(deployCollectible);
      for (const dropId of [0n, 3n, 99n]) {
        await expect(nft.connect(minter).mintBatch(dropId, [alice.address]))
          .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleUnknownDrop")
          .withArgs(dropId);
      }
    });

    it("mints only inside the window [start, end)", async function () {
      const { nft, minter, dropAdmin, alice } = await loadFixture(deployCollectible);
      const start = BigInt(await time.latest()) + 1000n;
      const end = start + 1000n;
      await nft.connect(dropAdmin).createDrop(10, "", false, start, end);
      const dropId = await nft.dropCount();
      const mint = () => nft.connect(minter).mintBatch(dropId, [alice.address]);

      await expect(mint()).to.be.revertedWithCustomError(nft, "LoyaltyCollectibleMintWindowClosed").withArgs(dropId);
      await time.setNextBlockTimestamp(start - 1n);
      await expect(mint()).to.be.revertedWithCustomError(nft, "LoyaltyCollectibleMintWindowClosed").withArgs(dropId);
      await time.setNextBlockTimestamp(start);
      await mint(); // at start: open
      await time.setNextBlockTimestamp(end - 1n);
      await mint(); // last second: open
      await time.setNextBlockTimestamp(end);
      await expect(mint()).to.be.revertedWithCustomError(nft, "LoyaltyCollectibleMintWindowClosed").withArgs(dropId);
      await time.increaseTo(end + 500n);
      await expect(mint()).to.be.revertedWithCustomError(nft, "LoyaltyCollectibleMintWindowClosed").withArgs(dropId);
      expect((await nft.getDrop(dropId)).minted).to.equal(2n);
    });

    it("rejects an empty batch, a non-minter and the zero address", async function () {
      const { nft, admin, minter, dropAdmin, alice } = await loadFixture(deployCollectible);
      await expect(nft.connect(minter).mintBatch(OPEN, [])).to.be.revertedWithCustomError(
        nft,
        "LoyaltyCollectibleEmptyBatch",
      );
      const ROLE = await nft.MINTER_ROLE();
      for (const account of [admin, dropAdmin, alice]) {
        await expect(nft.connect(account).mintBatch(OPEN, [alice.address]))
          .to.be.revertedWithCustomError(nft, "AccessControlUnauthorizedAccount")
          .withArgs(account.address, ROLE);
      }
      await expect(nft.connect(minter).mintBatch(OPEN, [alice.address, ethers.ZeroAddress]))
        .to.be.revertedWithCustomError(nft, "ERC721InvalidReceiver")
        .withArgs(ethers.ZeroAddress);
      expect((await nft.getDrop(OPEN)).minted).to.equal(0n);
    });

    it("does not call onERC721Received (documented: plain _mint), so any contract can receive", async function () {
      const { nft, minter } = await loadFixture(deployCollectible);
      const rejecting = await ethers.deployContract("RejectingReceiver");
      await nft.connect(minter).mintBatch(OPEN, [await rejecting.getAddress()]);
      expect(await nft.ownerOf(tokenIdOf(OPEN, 1))).to.equal(await rejecting.getAddress());
    });
  });

  describe("soulbound drops (ERC-5192)", function () {
    it("locks soulbound tokens and emits Locked per minted token", async function () {
      const { nft, minter, alice, bob } = await loadFixture(deployCollectible);
      const tx = await nft.connect(minter).mintBatch(BADGE, [alice.address, bob.address]);
      await expect(tx).to.emit(nft, "Locked").withArgs(tokenIdOf(BADGE, 1));
      await expect(tx).to.emit(nft, "Locked").withArgs(tokenIdOf(BADGE, 2));
      expect(await nft.locked(tokenIdOf(BADGE, 1))).to.equal(true);
      expect(await nft.locked(tokenIdOf(BADGE, 2))).to.equal(true);
      await expect(nft.locked(tokenIdOf(BADGE, 3)))
        .to.be.revertedWithCustomError(nft, "ERC721NonexistentToken")
        .withArgs(tokenIdOf(BADGE, 3));
    });

    it("reverts LoyaltyCollectibleSoulbound on transferFrom, safeTransferFrom and by an approved operator", async function () {
      const { nft, minter, alice, bob } = await loadFixture(deployCollectible);
      await nft.connect(minter).mintBatch(BADGE, [alice.address]);
      const id = tokenIdOf(BADGE, 1);
      await expect(nft.connect(alice).transferFrom(alice.address, bob.address, id))
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleSoulbound")
        .withArgs(id);
      await expect(nft.connect(alice)["safeTransferFrom(address,address,uint256)"](alice.address, bob.address, id))
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleSoulbound")
        .withArgs(id);
      await expect(
        nft.connect(alice)["safeTransferFrom(address,address,uint256,bytes)"](alice.address, bob.address, id, "0x"),
      )
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleSoulbound")
        .withArgs(id);
      await nft.connect(alice).approve(bob.address, id);
      await expect(nft.connect(bob).transferFrom(alice.address, bob.address, id))
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleSoulbound")
        .withArgs(id);
      expect(await nft.ownerOf(id)).to.equal(alice.address);
    });

    it("reverts LoyaltyCollectibleSoulbound on transferWithSignature and keeps the nonce", async function () {
      const { nft, minter, relayer, bob, holder, domain } = await loadFixture(deployCollectible);
      await nft.connect(minter).mintBatch(BADGE, [holder.address]);
      const id = tokenIdOf(BADGE, 1);
      const move = await signedMove(holder, domain, { to: bob.address, tokenId: id, deadline: await deadlineIn() });
      await expect(nft.connect(relayer).transferWithSignature(...moveArgs(move)))
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleSoulbound")
        .withArgs(id);
      expect(await nft.nonces(holder.address)).to.equal(0n);
      expect(await nft.ownerOf(id)).to.equal(holder.address);
    });

    it("lets tokens of a non-soulbound drop move and reports them unlocked", async function () {
      const { nft, minter, alice, bob } = await loadFixture(deployCollectible);
      await nft.connect(minter).mintBatch(OPEN, [alice.address, alice.address]);
      const [id1, id2] = [tokenIdOf(OPEN, 1), tokenIdOf(OPEN, 2)];
      expect(await nft.locked(id1)).to.equal(false);
      await expect(nft.connect(alice).transferFrom(alice.address, bob.address, id1))
        .to.emit(nft, "Transfer")
        .withArgs(alice.address, bob.address, id1);
      await nft.connect(alice)["safeTransferFrom(address,address,uint256)"](alice.address, bob.address, id2);
      expect(await nft.ownerOf(id1)).to.equal(bob.address);
      expect(await nft.ownerOf(id2)).to.equal(bob.address);
      expect(await nft.locked(id1)).to.equal(false);
    });
  });

  describe("metadata", function () {
    it("tokenURI is the drop's base URI followed by the decimal token id", async function () {
      const { nft, minter, dropAdmin, alice } = await loadFixture(deployCollectible);
      await nft.connect(minter).mintBatch(OPEN, [alice.address]);
      await nft.connect(minter).mintBatch(BADGE, [alice.address]);
      expect(await nft.tokenURI(tokenIdOf(OPEN, 1))).to.equal(OPEN_URI + tokenIdOf(OPEN, 1).toString());
      expect(await nft.tokenURI(tokenIdOf(OPEN, 1))).to.equal("ipfs://open/18446744073709551617");
      expect(await nft.tokenURI(tokenIdOf(BADGE, 1))).to.equal(BADGE_URI + tokenIdOf(BADGE, 1).toString());
      await nft.connect(dropAdmin).createDrop(1, "", false, 0, 0);
      await nft.connect(minter).mintBatch(3, [alice.address]);
      expect(await nft.tokenURI(tokenIdOf(3, 1))).to.equal("");
      await expect(nft.tokenURI(tokenIdOf(OPEN, 2)))
        .to.be.revertedWithCustomError(nft, "ERC721NonexistentToken")
        .withArgs(tokenIdOf(OPEN, 2));
    });

    it("setDropBaseURI emits DropBaseURIChanged and BatchMetadataUpdate for the drop's id range", async function () {
      const { nft, minter, dropAdmin, alice } = await loadFixture(deployCollectible);
      await nft.connect(minter).mintBatch(OPEN, [alice.address]);
      const tx = nft.connect(dropAdmin).setDropBaseURI(OPEN, "ar://new/");
      await expect(tx).to.emit(nft, "DropBaseURIChanged").withArgs(OPEN, "ar://new/");
      await expect(tx)
        .to.emit(nft, "BatchMetadataUpdate")
        .withArgs(tokenIdOf(OPEN, 1), tokenIdOf(OPEN, SERIAL_MASK));
      expect(await nft.tokenURI(tokenIdOf(OPEN, 1))).to.equal("ar://new/" + tokenIdOf(OPEN, 1).toString());
      expect((await nft.getDrop(OPEN)).baseURI).to.equal("ar://new/");
    });

    it("setDropBaseURI requires DROP_ADMIN_ROLE and an existing drop", async function () {
      const { nft, admin, dropAdmin } = await loadFixture(deployCollectible);
      await expect(nft.connect(admin).setDropBaseURI(OPEN, "x"))
        .to.be.revertedWithCustomError(nft, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, await nft.DROP_ADMIN_ROLE());
      await expect(nft.connect(dropAdmin).setDropBaseURI(42, "x"))
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleUnknownDrop")
        .withArgs(42n);
    });
  });

  describe("claim vouchers", function () {
    it("mints to the recipient calling claim itself", async function () {
      const { nft, alice, claimSigner, domain } = await loadFixture(deployCollectible);
      const v = await voucher(claimSigner, domain, { recipient: alice.address, dropId: OPEN, nonce: 11n, deadline: await deadlineIn() });
      const id = tokenIdOf(OPEN, 1);
      expect(await nft.connect(alice).claim.staticCall(...claimArgs(v))).to.equal(id);
      const tx = nft.connect(alice).claim(...claimArgs(v));
      await expect(tx).to.emit(nft, "VoucherClaimed").withArgs(OPEN, alice.address, 11n, id);
      await expect(tx).to.emit(nft, "Transfer").withArgs(ethers.ZeroAddress, alice.address, id);
      await expect(tx).to.not.emit(nft, "Locked");
      expect(await nft.ownerOf(id)).to.equal(alice.address);
      expect(await nft.isVoucherUsed(11n)).to.equal(true);
      expect(await nft.isVoucherUsed(12n)).to.equal(false);
      expect((await nft.getDrop(OPEN)).minted).to.equal(1n);
    });

    it("mints to the recipient when relayed by another account, with Locked for a soulbound drop", async function () {
      const { nft, relayer, holder, claimSigner, domain } = await loadFixture(deployCollectible);
      const v = await voucher(claimSigner, domain, { recipient: holder.address, dropId: BADGE, nonce: 1n, deadline: await deadlineIn() });
      const id = tokenIdOf(BADGE, 1);
      const tx = nft.connect(relayer).claim(...claimArgs(v));
      await expect(tx).to.emit(nft, "VoucherClaimed").withArgs(BADGE, holder.address, 1n, id);
      await expect(tx).to.emit(nft, "Locked").withArgs(id);
      expect(await nft.ownerOf(id)).to.equal(holder.address);
      expect(await nft.balanceOf(relayer.address)).to.equal(0n);
      expect(await nft.locked(id)).to.equal(true);
    });

    it("rejects a replayed voucher with LoyaltyCollectibleVoucherUsed, also across drops", async function () {
      const { nft, alice, bob, relayer, claimSigner, domain } = await loadFixture(deployCollectible);
      const deadline = await deadlineIn();
      const v = await voucher(claimSigner, domain, { recipient: alice.address, dropId: OPEN, nonce: 5n, deadline });
      await nft.connect(relayer).claim(...claimArgs(v));
      await expect(nft.connect(relayer).claim(...claimArgs(v)))
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleVoucherUsed")
        .withArgs(5n);
      // Voucher nonces are one global space: a fresh voucher reusing nonce 5 is spent too.
      const other = await voucher(claimSigner, domain, { recipient: bob.address, dropId: BADGE, nonce: 5n, deadline });
      await expect(nft.connect(relayer).claim(...claimArgs(other)))
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleVoucherUsed")
        .withArgs(5n);
      expect((await nft.getDrop(OPEN)).minted).to.equal(1n);
    });

    it("rejects an expired voucher and accepts one exactly at its deadline", async function () {
      const { nft, alice, relayer, claimSigner, domain } = await loadFixture(deployCollectible);
      const deadline = await deadlineIn(100);
      const late = await voucher(claimSigner, domain, { recipient: alice.address, dropId: OPEN, nonce: 1n, deadline });
      const onTime = await voucher(claimSigner, domain, { recipient: alice.address, dropId: OPEN, nonce: 2n, deadline });
      await time.setNextBlockTimestamp(deadline);
      await nft.connect(relayer).claim(...claimArgs(onTime));
      await expect(nft.connect(relayer).claim(...claimArgs(late)))
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleExpiredSignature")
        .withArgs(deadline);
      expect(await nft.isVoucherUsed(1n)).to.equal(false);
    });

    it("rejects a voucher signed by a key without CLAIM_SIGNER_ROLE, or whose role was revoked", async function () {
      const { nft, admin, alice, relayer, claimSigner, stranger, domain } = await loadFixture(deployCollectible);
      const deadline = await deadlineIn();
      const v = await voucher(stranger, domain, { recipient: alice.address, dropId: OPEN, nonce: 1n, deadline });
      await expect(nft.connect(relayer).claim(...claimArgs(v)))
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleInvalidSigner")
        .withArgs(stranger.address);
      // Admin and minter keys are not claim signers either.
      const byAdmin = { recipient: alice.address, dropId: OPEN, nonce: 2n, deadline };
      const adminSig = await admin.signTypedData(domain, CLAIM_TYPES, byAdmin);
      await expect(nft.connect(relayer).claim(...claimArgs({ ...byAdmin, signature: adminSig })))
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleInvalidSigner")
        .withArgs(admin.address);

      const signed = await voucher(claimSigner, domain, { recipient: alice.address, dropId: OPEN, nonce: 3n, deadline });
      await nft.connect(admin).revokeRole(await nft.CLAIM_SIGNER_ROLE(), claimSigner.address);
      await expect(nft.connect(relayer).claim(...claimArgs(signed)))
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleInvalidSigner")
        .withArgs(claimSigner.address);
    });

    it("rejects a malformed signature with signer zero", async function () {
      const { nft, alice, relayer } = await loadFixture(deployCollectible);
      await expect(nft.connect(relayer).claim(alice.address, OPEN, 1n, await deadlineIn(), "0x"))
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleInvalidSigner")
        .withArgs(ethers.ZeroAddress);
    });

    it("rejects a voucher for another chain id or another deployment", async function () {
      const { nft, admin, alice, relayer, claimSigner, domain } = await loadFixture(deployCollectible);
      const deadline = await deadlineIn();
      const twin = await ethers.deployContract("LoyaltyCollectible", [NAME, SYMBOL, admin.address]);
      await twin.grantRole(await twin.DROP_ADMIN_ROLE(), admin.address);
      await twin.grantRole(await twin.CLAIM_SIGNER_ROLE(), claimSigner.address);
      await twin.createDrop(10, OPEN_URI, false, 0, 0);
      const twinDomain = await domainOf(twin);

      for (const d of [{ ...domain, chainId: 10n }, twinDomain]) {
        const v = await voucher(claimSigner, d, { recipient: alice.address, dropId: OPEN, nonce: 1n, deadline });
        await expect(nft.connect(relayer).claim(...claimArgs(v)))
          .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleInvalidSigner")
          .withArgs(recover(ethers, domain, CLAIM_TYPES, v, v.signature));
      }
      // The twin's voucher works on the twin.
      const v = await voucher(claimSigner, twinDomain, { recipient: alice.address, dropId: OPEN, nonce: 1n, deadline });
      await twin.connect(relayer).claim(...claimArgs(v));
      expect(await twin.ownerOf(tokenIdOf(OPEN, 1))).to.equal(alice.address);
      expect(await nft.isVoucherUsed(1n)).to.equal(false);
    });

    it("cannot be redirected to another recipient, drop, nonce or deadline", async function () {
      const { nft, alice, bob, relayer, claimSigner, domain } = await loadFixture(deployCollectible);
      const v = await voucher(claimSigner, domain, { recipient: alice.address, dropId: OPEN, nonce: 1n, deadline: await deadlineIn() });
      const alterations = [
        { recipient: bob.address },
        { recipient: relayer.address },
        { dropId: BADGE },
        { nonce: 2n },
        { deadline: v.deadline + 1n },
      ];
      for (const change of alterations) {
        const altered = { ...v, ...change };
        await expect(nft.connect(relayer).claim(...claimArgs(altered)))
          .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleInvalidSigner")
          .withArgs(recover(ethers, domain, CLAIM_TYPES, altered, v.signature));
      }
      expect(await nft.balanceOf(bob.address)).to.equal(0n);
      // The untouched voucher still works for its recipient.
      await nft.connect(relayer).claim(...claimArgs(v));
      expect(await nft.ownerOf(tokenIdOf(OPEN, 1))).to.equal(alice.address);
    });

    it("respects the drop's supply, window and existence and keeps the voucher unspent on failure", async function () {
      const { nft, minter, dropAdmin, alice, relayer, claimSigner, domain } = await loadFixture(deployCollectible);
      const deadline = await deadlineIn(100000);
      await nft.connect(minter).mintBatch(BADGE, Array(5).fill(alice.address));
      const soldOut = await voucher(claimSigner, domain, { recipient: alice.address, dropId: BADGE, nonce: 1n, deadline });
      await expect(nft.connect(relayer).claim(...claimArgs(soldOut)))
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleMaxSupplyExceeded")
        .withArgs(BADGE, 1n, 0n);

      const start = BigInt(await time.latest()) + 1000n;
      await nft.connect(dropAdmin).createDrop(3, "", false, start, start + 100n);
      const early = await voucher(claimSigner, domain, { recipient: alice.address, dropId: 3n, nonce: 2n, deadline });
      await expect(nft.connect(relayer).claim(...claimArgs(early)))
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleMintWindowClosed")
        .withArgs(3n);

      const unknown = await voucher(claimSigner, domain, { recipient: alice.address, dropId: 9n, nonce: 3n, deadline });
      await expect(nft.connect(relayer).claim(...claimArgs(unknown)))
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleUnknownDrop")
        .withArgs(9n);

      const toZero = await voucher(claimSigner, domain, { recipient: ethers.ZeroAddress, dropId: OPEN, nonce: 4n, deadline });
      await expect(nft.connect(relayer).claim(...claimArgs(toZero)))
        .to.be.revertedWithCustomError(nft, "ERC721InvalidReceiver")
        .withArgs(ethers.ZeroAddress);

      for (const n of [1n, 2n, 3n, 4n]) expect(await nft.isVoucherUsed(n)).to.equal(false);
      // Once the window opens the same voucher works.
      await time.increaseTo(start);
      await nft.connect(relayer).claim(...claimArgs(early));
      expect(await nft.ownerOf(tokenIdOf(3n, 1))).to.equal(alice.address);
    });
  });

  describe("hostile and rejecting receivers", function () {
    async function deployHostile(nft) {
      return ethers.deployContract("HostileReceiver", [await nft.getAddress()]);
    }

    it("a receiver re-entering claim with a second valid voucher reverts ReentrancyGuardReentrantCall", async function () {
      const { nft, relayer, claimSigner, domain } = await loadFixture(deployCollectible);
      const hostile = await deployHostile(nft);
      const to = await hostile.getAddress();
      const deadline = await deadlineIn();
      const first = await voucher(claimSigner, domain, { recipient: to, dropId: OPEN, nonce: 1n, deadline });
      const second = await voucher(claimSigner, domain, { recipient: to, dropId: OPEN, nonce: 2n, deadline });
      await hostile.arm(nft.interface.encodeFunctionData("claim", claimArgs(second)));

      await expect(nft.connect(relayer).claim(...claimArgs(first))).to.be.revertedWithCustomError(
        nft,
        "ReentrancyGuardReentrantCall",
      );
      expect((await nft.getDrop(OPEN)).minted).to.equal(0n);
      expect(await nft.balanceOf(to)).to.equal(0n);
      expect(await nft.isVoucherUsed(1n)).to.equal(false);
      expect(await nft.isVoucherUsed(2n)).to.equal(false);
      expect(await hostile.received()).to.equal(0n);
    });

    it("never passes max supply 1, with or without re-entry", async function () {
      const { nft, dropAdmin, relayer, claimSigner, domain } = await loadFixture(deployCollectible);
      await nft.connect(dropAdmin).createDrop(1, "", false, 0, 0);
      const dropId = await nft.dropCount();
      const hostile = await deployHostile(nft);
      const to = await hostile.getAddress();
      const deadline = await deadlineIn();
      const [v1, v2, v3] = await Promise.all(
        [1n, 2n, 3n].map((nonce) => voucher(claimSigner, domain, { recipient: to, dropId, nonce, deadline })),
      );

      await hostile.arm(nft.interface.encodeFunctionData("claim", claimArgs(v2)));
      await expect(nft.connect(relayer).claim(...claimArgs(v1))).to.be.revertedWithCustomError(
        nft,
        "ReentrancyGuardReentrantCall",
      );
      expect((await nft.getDrop(dropId)).minted).to.equal(0n);

      // The failed transaction also rolled back the receiver's `_armed = false`, so it is still armed:
      // replace the re-entry with a harmless view call before the honest claim.
      await hostile.arm(nft.interface.encodeFunctionData("dropCount"));
      await nft.connect(relayer).claim(...claimArgs(v1));
      expect(await hostile.received()).to.equal(1n);
      expect((await nft.getDrop(dropId)).minted).to.equal(1n);
      expect(await nft.ownerOf(tokenIdOf(dropId, 1))).to.equal(to);

      for (const v of [v2, v3]) {
        await expect(nft.connect(relayer).claim(...claimArgs(v)))
          .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleMaxSupplyExceeded")
          .withArgs(dropId, 1n, 0n);
      }
      expect(await nft.balanceOf(to)).to.equal(1n);
      expect((await nft.getDrop(dropId)).minted).to.equal(1n);
    });

    it("a receiver re-entering mintBatch from a claim callback is blocked too", async function () {
      const { nft, admin, relayer, claimSigner, domain } = await loadFixture(deployCollectible);
      const hostile = await deployHostile(nft);
      const to = await hostile.getAddress();
      await nft.connect(admin).grantRole(await nft.MINTER_ROLE(), to);
      const v = await voucher(claimSigner, domain, { recipient: to, dropId: OPEN, nonce: 1n, deadline: await deadlineIn() });
      await hostile.arm(nft.interface.encodeFunctionData("mintBatch", [OPEN, [to]]));
      await expect(nft.connect(relayer).claim(...claimArgs(v))).to.be.revertedWithCustomError(
        nft,
        "ReentrancyGuardReentrantCall",
      );
      expect((await nft.getDrop(OPEN)).minted).to.equal(0n);
    });

    it("a claim to a RejectingReceiver reverts ERC721InvalidReceiver and leaves the voucher unspent", async function () {
      const { nft, relayer, claimSigner, domain } = await loadFixture(deployCollectible);
      const rejecting = await ethers.deployContract("RejectingReceiver");
      const to = await rejecting.getAddress();
      const v = await voucher(claimSigner, domain, { recipient: to, dropId: OPEN, nonce: 1n, deadline: await deadlineIn() });
      await expect(nft.connect(relayer).claim(...claimArgs(v)))
        .to.be.revertedWithCustomError(nft, "ERC721InvalidReceiver")
        .withArgs(to);
      expect(await nft.isVoucherUsed(1n)).to.equal(false);
      expect((await nft.getDrop(OPEN)).minted).to.equal(0n);
    });

    it("a claim to a contract without onERC721Received reverts ERC721InvalidReceiver", async function () {
      const { nft, admin, relayer, claimSigner, domain } = await loadFixture(deployCollectible);
      const points = await ethers.deployContract("LoyaltyPoints", ["P", "P", 0, admin.address]);
      const to = await points.getAddress();
      const v = await voucher(claimSigner, domain, { recipient: to, dropId: OPEN, nonce: 1n, deadline: await deadlineIn() });
      await expect(nft.connect(relayer).claim(...claimArgs(v)))
        .to.be.revertedWithCustomError(nft, "ERC721InvalidReceiver")
        .withArgs(to);
    });
  });

  describe("transferWithSignature", function () {
    async function mintedToHolder() {
      const f = await deployCollectible();
      await f.nft.connect(f.minter).mintBatch(OPEN, [f.holder.address, f.holder.address]);
      return f;
    }

    it("moves a holder's token on a relayed signature", async function () {
      const { nft, relayer, bob, holder, domain } = await loadFixture(mintedToHolder);
      const id = tokenIdOf(OPEN, 1);
      const move = await signedMove(holder, domain, { to: bob.address, tokenId: id, deadline: await deadlineIn() });
      await expect(nft.connect(relayer).transferWithSignature(...moveArgs(move)))
        .to.emit(nft, "Transfer")
        .withArgs(holder.address, bob.address, id);
      expect(await nft.ownerOf(id)).to.equal(bob.address);
      expect(await nft.nonces(holder.address)).to.equal(1n);
    });

    it("rejects a replay with LoyaltyCollectibleInvalidNonce", async function () {
      const { nft, relayer, bob, holder, domain } = await loadFixture(mintedToHolder);
      const move = await signedMove(holder, domain, { to: bob.address, tokenId: tokenIdOf(OPEN, 1), deadline: await deadlineIn() });
      await nft.connect(relayer).transferWithSignature(...moveArgs(move));
      await expect(nft.connect(relayer).transferWithSignature(...moveArgs(move)))
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleInvalidNonce")
        .withArgs(holder.address, 0n);
    });

    it("rejects an expired signature", async function () {
      const { nft, relayer, bob, holder, domain } = await loadFixture(mintedToHolder);
      const deadline = await deadlineIn(60);
      const move = await signedMove(holder, domain, { to: bob.address, tokenId: tokenIdOf(OPEN, 1), deadline });
      await time.increaseTo(deadline + 1n);
      await expect(nft.connect(relayer).transferWithSignature(...moveArgs(move)))
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleExpiredSignature")
        .withArgs(deadline);
    });

    it("rejects a signature by someone other than the owner, and operator keys", async function () {
      const { nft, admin, minter, relayer, bob, holder, stranger, domain } = await loadFixture(mintedToHolder);
      const deadline = await deadlineIn();
      const id = tokenIdOf(OPEN, 1);
      const forged = await signedMove(stranger, domain, { from: holder.address, to: bob.address, tokenId: id, deadline });
      await expect(nft.connect(relayer).transferWithSignature(...moveArgs(forged)))
        .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleInvalidSigner")
        .withArgs(stranger.address);
      for (const operator of [admin, minter]) {
        const payload = { from: holder.address, to: operator.address, tokenId: id, nonce: 0n, deadline };
        const signature = await operator.signTypedData(domain, NFT_TRANSFER_TYPES, payload);
        await expect(nft.connect(operator).transferWithSignature(...moveArgs({ ...payload, signature })))
          .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleInvalidSigner")
          .withArgs(operator.address);
        await expect(nft.connect(operator).transferFrom(holder.address, operator.address, id))
          .to.be.revertedWithCustomError(nft, "ERC721InsufficientApproval")
          .withArgs(operator.address, id);
      }
      expect(await nft.ownerOf(id)).to.equal(holder.address);
    });

    it("rejects altered fields, other chains and other deployments", async function () {
      const { nft, admin, relayer, bob, holder, domain } = await loadFixture(mintedToHolder);
      const deadline = await deadlineIn();
      const move = await signedMove(holder, domain, { to: bob.address, tokenId: tokenIdOf(OPEN, 1), deadline });
      for (const change of [{ to: relayer.address }, { tokenId: tokenIdOf(OPEN, 2) }]) {
        const altered = { ...move, ...change };
        await expect(nft.connect(relayer).transferWithSignature(...moveArgs(altered)))
          .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleInvalidSigner")
          .withArgs(recover(ethers, domain, NFT_TRANSFER_TYPES, altered, move.signature));
      }
      const twin = await ethers.deployContract("LoyaltyCollectible", [NAME, SYMBOL, admin.address]);
      for (const d of [{ ...domain, chainId: 137n }, await domainOf(twin)]) {
        const m = await signedMove(holder, d, { to: bob.address, tokenId: tokenIdOf(OPEN, 1), deadline });
        await expect(nft.connect(relayer).transferWithSignature(...moveArgs(m)))
          .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleInvalidSigner")
          .withArgs(recover(ethers, domain, NFT_TRANSFER_TYPES, m, m.signature));
      }
      expect(await nft.nonces(holder.address)).to.equal(0n);
    });

    it("reverts when the signer does not own the token, or it does not exist", async function () {
      const { nft, relayer, bob, holder, stranger, domain } = await loadFixture(mintedToHolder);
      const deadline = await deadlineIn();
      const id = tokenIdOf(OPEN, 1);
      const notOwner = await signedMove(stranger, domain, { to: bob.address, tokenId: id, deadline });
      await expect(nft.connect(relayer).transferWithSignature(...moveArgs(notOwner)))
        .to.be.revertedWithCustomError(nft, "ERC721IncorrectOwner")
        .withArgs(stranger.address, id, holder.address);
      const missing = tokenIdOf(OPEN, 9);
      const ghost = await signedMove(holder, domain, { to: bob.address, tokenId: missing, deadline });
      await expect(nft.connect(relayer).transferWithSignature(...moveArgs(ghost)))
        .to.be.revertedWithCustomError(nft, "ERC721NonexistentToken")
        .withArgs(missing);
      const toZero = await signedMove(holder, domain, { to: ethers.ZeroAddress, tokenId: id, deadline });
      await expect(nft.connect(relayer).transferWithSignature(...moveArgs(toZero)))
        .to.be.revertedWithCustomError(nft, "ERC721InvalidReceiver")
        .withArgs(ethers.ZeroAddress);
    });
  });

  describe("pause", function () {
    it("blocks mintBatch, claim, transfers and signed transfers until unpaused", async function () {
      const { nft, minter, pauser, relayer, alice, bob, holder, claimSigner, domain } = await loadFixture(deployCollectible);
      await nft.connect(minter).mintBatch(OPEN, [alice.address, holder.address]);
      const deadline = await deadlineIn();
      const v = await voucher(claimSigner, domain, { recipient: bob.address, dropId: OPEN, nonce: 1n, deadline });
      const move = await signedMove(holder, domain, { to: bob.address, tokenId: tokenIdOf(OPEN, 2), deadline });

      await expect(nft.connect(pauser).pause()).to.emit(nft, "Paused").withArgs(pauser.address);
      await expect(nft.connect(minter).mintBatch(OPEN, [bob.address])).to.be.revertedWithCustomError(nft, "EnforcedPause");
      await expect(nft.connect(relayer).claim(...claimArgs(v))).to.be.revertedWithCustomError(nft, "EnforcedPause");
      await expect(nft.connect(alice).transferFrom(alice.address, bob.address, tokenIdOf(OPEN, 1))).to.be.revertedWithCustomError(
        nft,
        "EnforcedPause",
      );
      await expect(nft.connect(relayer).transferWithSignature(...moveArgs(move))).to.be.revertedWithCustomError(
        nft,
        "EnforcedPause",
      );
      expect(await nft.isVoucherUsed(1n)).to.equal(false);
      expect(await nft.nonces(holder.address)).to.equal(0n);
      expect((await nft.getDrop(OPEN)).minted).to.equal(2n);

      await expect(nft.connect(pauser).unpause()).to.emit(nft, "Unpaused").withArgs(pauser.address);
      await nft.connect(relayer).claim(...claimArgs(v));
      await nft.connect(relayer).transferWithSignature(...moveArgs(move));
      expect(await nft.balanceOf(bob.address)).to.equal(2n);
    });

    it("rejects pause and unpause from accounts without PAUSER_ROLE", async function () {
      const { nft, admin, minter, pauser } = await loadFixture(deployCollectible);
      const ROLE = await nft.PAUSER_ROLE();
      for (const account of [admin, minter]) {
        await expect(nft.connect(account).pause())
          .to.be.revertedWithCustomError(nft, "AccessControlUnauthorizedAccount")
          .withArgs(account.address, ROLE);
      }
      await nft.connect(pauser).pause();
      await expect(nft.connect(admin).unpause())
        .to.be.revertedWithCustomError(nft, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, ROLE);
    });
  });

  describe("property: supply accounting (fast-check)", function () {
    async function deployForProperty() {
      const f = await deployCollectible();
      return { ...f, recipients: (await ethers.getSigners()).slice(0, 4) };
    }

    it("batches never pass max supply and serials stay consecutive", async function () {
      const plan = fc.record({
        maxSupply: fc.integer({ min: 1, max: 12 }),
        batches: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 }),
      });
      await fc.assert(
        fc.asyncProperty(plan, async ({ maxSupply, batches }) => {
          const { nft, minter, dropAdmin, recipients } = await loadFixture(deployForProperty);
          await nft.connect(dropAdmin).createDrop(maxSupply, "", false, 0, 0);
          const dropId = await nft.dropCount();
          let minted = 0;
          for (const size of batches) {
            const to = Array.from({ length: size }, (_, i) => recipients[i % recipients.length].address);
            if (minted + size <= maxSupply) {
              await nft.connect(minter).mintBatch(dropId, to);
              for (let i = 0; i < size; i++) {
                expect(await nft.ownerOf(tokenIdOf(dropId, minted + 1 + i))).to.equal(to[i]);
              }
              minted += size;
            } else {
              await expect(nft.connect(minter).mintBatch(dropId, to))
                .to.be.revertedWithCustomError(nft, "LoyaltyCollectibleMaxSupplyExceeded")
                .withArgs(dropId, BigInt(size), BigInt(maxSupply - minted));
            }
            expect((await nft.getDrop(dropId)).minted).to.equal(BigInt(minted));
          }
          expect(minted).to.be.at.most(maxSupply);
          const balances = await Promise.all(recipients.map((r) => nft.balanceOf(r.address)));
          expect(balances.reduce((a, b) => a + b, 0n)).to.equal(BigInt(minted));
        }),
        { numRuns: 20 },
      );
    });
  });
});
